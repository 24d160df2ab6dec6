// cors.js is loaded after harness.js into a page served by its own HTTP
// server, on an origin other than the gateway's. It drives the routes the
// client library does not: an EventSource, an upload over HTTP, and raw
// fetches that show what a refused origin gets.
Object.assign(h, { sse: [], sseAcks: [], sseErrors: 0 });

// startSSE opens an EventSource on url (closing the previous one), as a
// page would after a reload with the lastSeq it saved.
window.startSSE = (url) => {
  if (h.es) h.es.close();
  const es = h.es = new EventSource(url);
  es.addEventListener('ack', (m) => h.sseAcks.push(JSON.parse(m.data)));
  es.onmessage = (m) => h.sse.push(JSON.parse(m.data).seq);
  es.onerror = () => { h.sseErrors++; };
};

window.sseSnapshot = () => JSON.stringify({
  events: h.sse, acks: h.sseAcks, errors: h.sseErrors, readyState: h.es ? h.es.readyState : -1,
});

// content is the upload's bytes; the Go test computes the same.
const content = (size) => new Uint8Array(size).map((_, i) => (i * 7 + 3) % 251);

// uploadOverHTTP starts an upload, PUTs its first half, then resumes as a
// page that lost its state would: it asks the committed offset
// (Content-Range: bytes */size) and PUTs the rest from there. Then it
// downloads the file, reading a header only CORS exposure lets it see.
window.uploadOverHTTP = async (base, token, size, sha256) => {
  const auth = { Authorization: 'Bearer ' + token };
  const bytes = content(size);
  const answer = async (r) => ({ status: r.status, body: await r.json() });
  const start = await answer(await fetch(base + '/v2/realtime/uploads', {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'cors.bin', size, contentType: 'application/octet-stream', sha256 }),
  }));
  const u = base + '/v2/realtime/uploads/' + start.body.uploadId;
  const put = async (range, body) => answer(await fetch(u, { method: 'PUT', headers: { ...auth, 'Content-Range': range }, body }));
  const half = size >> 1;
  const first = await put(`bytes 0-${half - 1}/${size}`, bytes.slice(0, half));
  const offset = await put(`bytes */${size}`);
  const from = offset.body.offset;
  const rest = await put(`bytes ${from}-${size - 1}/${size}`, bytes.slice(from));
  const got = await fetch(u, { headers: auth });
  const data = new Uint8Array(await got.arrayBuffer());
  return JSON.stringify({
    start, first, offset, rest,
    download: {
      status: got.status,
      disposition: got.headers.get('Content-Disposition'),
      same: data.length === size && data.every((b, i) => b === bytes[i]),
    },
  });
};

// probe fetches and reports "HTTP <status>", or the error's name when the
// browser withheld the answer (TypeError: a CORS refusal).
window.probe = async (url, init) => {
  try {
    return 'HTTP ' + (await fetch(url, init)).status;
  } catch (e) {
    return e.name;
  }
};
