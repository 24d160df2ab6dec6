// upload.js is loaded after harness.js, before the client connects. It
// makes files in the page, runs rt.upload recording what it reports, and
// watches the upload traffic through the WebSocket: the upload.* messages
// sent (h.sent), the upload.* and error frames received (h.frames) and the
// binary chunks that went out (h.chunks).
//
// It also plays the network: binary messages wait in h.queue, in order,
// and go out at once while h.pace is 0, one every h.pace ms while it is
// positive (the server commits, and reports progress, at most every
// 250 ms, so a fast upload on loopback reports none), and not at all while
// it is negative, as if the network had stalled; the client believes it
// sent them either way. h.stallOnProgress stalls it at the first progress
// report short of the end. h.corruptHash makes the next SHA-256 the client
// computes wrong by one bit; h.holdHash makes it wait for h.releaseHash().
// h.dropChunk loses the binary message with that number (counting from 1).
// h.onSend, if set, is called with each upload.* message after it is sent.
Object.assign(h, {
  up: {}, sent: [], frames: [], chunks: 0, queue: [], pace: 0, dropChunk: 0,
  stallOnProgress: false, corruptHash: false, holdHash: false, onSend: null,
});

const send = WebSocket.prototype.send;
const flush = (n) => {
  for (; n > 0 && h.queue.length; n--) {
    const [ws, d] = h.queue.shift();
    if (++h.chunks !== h.dropChunk) send.call(ws, d);
  }
};
WebSocket.prototype.send = function (d) {
  if (typeof d === 'string') {
    send.call(this, d);
    if (!d.includes('"upload.')) return;
    const m = JSON.parse(d);
    h.sent.push(m);
    if (h.onSend) h.onSend(m);
    return;
  }
  h.queue.push([this, d]);
  if (!h.pace) flush(Infinity);
};
(function tick() {
  if (h.pace >= 0) flush(h.pace ? 1 : Infinity);
  setTimeout(tick, h.pace > 0 ? h.pace : 20);
})();

const WS = window.WebSocket;
window.WebSocket = class extends WS {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (m) => {
      if (typeof m.data !== 'string') return;
      const f = JSON.parse(m.data);
      if (f.type.startsWith('upload.') || f.type === 'error') h.frames.push(f);
    });
  }
};

const digest = crypto.subtle.digest.bind(crypto.subtle);
crypto.subtle.digest = async (alg, data) => {
  const d = new Uint8Array(await digest(alg, data));
  if (h.corruptHash) { h.corruptHash = false; d[0] ^= 1; }
  if (h.holdHash) await new Promise((r) => { h.releaseHash = r; });
  return d.buffer;
};

// n pseudo-random bytes, xorshift32 from seed, one byte per step: the same
// as pseudoRandom in upload_helpers_test.go.
window.makeFile = (n, seed, name, type) => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 255; }
  return new File([b], name, { type });
};

window.startUpload = (key, file) => {
  const r = h.up[key] = { progress: [], sizes: [] };
  const p = h.rt.upload(file, {
    onProgress: (n, size) => {
      r.progress.push(n);
      r.sizes.push(size);
      if (h.stallOnProgress && n > 0 && n < size) [h.pace, h.stallOnProgress] = [-1, false];
    },
  });
  h.up[key + '.promise'] = p;
  p.then((v) => { r.result = v; }, (e) => { r.error = { code: e.code || '', name: e.name, message: String(e.message) }; });
};

window.uploadSnapshot = (key) => ({
  ...h.up[key], sent: h.sent, frames: h.frames, chunks: h.chunks, queued: h.queue.length,
});
