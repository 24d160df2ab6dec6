// realtime.js: the browser client of the realtime gateway. No dependencies.
// Usage and behaviour: docs/CLIENT.md. Wire protocol: docs/PROTOCOL.md.
//
//   import { connect } from '/v2/realtime/client.js';
//   const rt = connect({ getToken, services: ['finance'], onEvent: (e) => {} });
//
// Bookkeeping invariant: lastSeq is the highest seq applied on this org's
// stream, epoch the incarnation it belongs to. Both survive reconnects and
// transport switches (WebSocket <-> long-poll); only an ack or poll answer
// with recovered:false resets them, and it always calls onResync.
//
// Tabs of one origin that would open the same connection share one: see
// "Tab sharing" at the end of the class and docs/CLIENT.md.

const CONNECTING = 'connecting', OPEN = 'open', RECONNECTING = 'reconnecting',
  FALLBACK = 'fallback', CLOSED = 'closed';

// Closes after which the same request can only fail again: a bad handshake
// and frame-level errors are bugs (PROTOCOL.md: "do not reconnect in a
// loop"). 4001/4003 are handled by the token rule instead (see #takeToken).
const FATAL = [1002, 1007, 1009, 4400];
const REJECTED = [4001, 4003];
const CLOSE_FALLBACK = 4010;
// The token ran out (4002): a new one resumes at once, nothing is lost.
// Access was revoked (4009): one new token is tried; refused too, stop.
const EXPIRED = 4002, REVOKED = 4009;
const REVOKED_STOP = { type: 'error', code: 'revoked', message: 'realtime: access revoked and the new token was refused too' };
const UNAVAILABLE = { code: 'upload_unavailable', message: 'realtime: uploads need the WebSocket' };
const PUB_UNAVAILABLE = { code: 'publish_unavailable', message: 'realtime: publishing needs the WebSocket' };
const ABORTED = { code: 'upload_aborted', message: 'realtime: upload aborted' };
const NO_TOKEN = {
  type: 'error', code: 'token_rejected',
  message: 'no token the server has not rejected; call setToken()',
};

const DEFAULTS = {
  backoffBase: 500, // ms; full jitter: wait random(0, min(cap, base * 2^n))
  backoffCap: 30000,
  stableAfter: 10000, // ms a connection must last for the backoff to reset
  pingInterval: 30000, // ms until the first two pings tell the real one
  connectTimeout: 10000, // ms from new WebSocket to the ack
  maxFailures: 3, // WebSockets that never opened, in a row, before probing long-poll
  wsRetryInterval: 300000, // ms on long-poll between WebSocket retries
  pollTimeout: 25, // s the server may hold one long-poll
};

// An error frame (or {code, message}) as an Error with its code.
const asError = (f) => Object.assign(new Error(f.message), { code: f.code });
const hex = (a) => Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');

// The seed's per-browser switch, read at every connect: 'false' means
// long-poll only (no WebSocket attempt), 'true' asks to be let in
// ("optIn" in the handshake). Storage may be blocked: then neither.
const flag = () => {
  try { return localStorage.REALTIME_STREAMING_V2; } catch { /* no storage */ }
};

/** Connects and returns the client. See realtime.d.ts for the options. */
export function connect(options) {
  return new Realtime(options);
}

class Realtime {
  #o; #url; #pollUrl;
  #state = CONNECTING;
  #lastSeq = null;
  #epoch = null;
  #token = null;
  #fresh = false; // #token may be used once more without calling getToken
  #rejected = null; // the last token the server refused: never sent again
  #halted = false; // stopped by the token rule or a fatal close; setToken restarts
  #gen = 0; // bumped to cancel every pending callback and await
  #sock = null; // {ws, token, opened, acked, fb, trial, lastPing, gaps}
  #abort = null;
  #timer = 0; // backoff sleep
  #retryTimer = 0; // next WebSocket retry while on long-poll
  #refreshTimer = 0; // next in-band token refresh
  #revoked = false; // access was revoked: the next refusal stops the client
  #dog = 0; // silence watchdog
  #attempt = 0;
  #fails = 0;
  #interval;
  #lastFrame = 0;
  #openedAt = 0;
  // Publishes not answered yet, in the order asked: id → {msg, ok, fail};
  // in a follower, its requests to the leader: id → {n, a, id, ok, fail, onProgress}.
  #pending = new Map();
  #nextId = 0;
  #ups = new Set(); // uploads not settled, and aborted ones not yet deleted on the server
  // Tab sharing: whether this client shares (until close), the channel to
  // the other tabs, whether this tab holds the connection, how to leave the
  // lock (abort the wait or release it), and followers' uploads this tab
  // runs (id → abort).
  #shared = false;
  #bc = null;
  #leads = false;
  #quit = null;
  #fwd = new Map();
  #tab = Math.random().toString(36).slice(2) + '.'; // prefix of request ids, unique across tabs

  constructor(o) {
    if (!o || !Array.isArray(o.services) || !o.services.length) {
      throw new TypeError('realtime: services must be a non-empty array');
    }
    if (!o.token && typeof o.getToken !== 'function') {
      throw new TypeError('realtime: give token or getToken');
    }
    this.#o = { ...DEFAULTS, ...o };
    this.#url = new URL(o.url || '/v2/realtime/stream', import.meta.url);
    this.#url.protocol = this.#url.protocol.replace(/^http/, 'ws');
    const http = new URL(this.#url);
    http.protocol = http.protocol.replace(/^ws/, 'http');
    this.#pollUrl = new URL(o.pollUrl || 'poll', http);
    this.#interval = this.#o.pingInterval;
    if (o.token) [this.#token, this.#fresh] = [o.token, true];
    if (o.lastSeq != null) [this.#lastSeq, this.#epoch] = [o.lastSeq, o.epoch || null];
    if (o.shareTabs !== false && self.BroadcastChannel && navigator.locks) {
      this.#shared = true;
      this.#share().catch(() => {
        this.#shared = false;
        this.#state === CLOSED || this.#lead();
      });
    } else this.#lead();
  }

  /** 'connecting' | 'open' | 'reconnecting' | 'fallback' | 'closed' */
  get state() { return this.#state; }
  /** Highest seq applied, or null before the first ack. */
  get lastSeq() { return this.#lastSeq; }
  /** Epoch of lastSeq, or null before the first ack. */
  get epoch() { return this.#epoch; }
  /** True while this tab holds the connection (always, when not sharing). */
  get leader() { return this.#leads; }

  /** Uses token for the next connection; restarts a client the token rule stopped. */
  setToken(token) {
    [this.#token, this.#fresh] = [token, true];
    if (this.#follower()) this.#post({ n: 'tok', a: [token] });
    else if (this.#halted) {
      this.#halted = false;
      this.#attempt = 0;
      this.#set(CONNECTING);
      this.#connect(false);
    }
  }

  /**
   * Publishes data into room of service over the WebSocket (the token needs
   * the "publish" claim). Resolves once with the event's seq. The message
   * carries an idempotency key (a random one unless given), so when the
   * connection drops before the answer it is sent again after the
   * reconnect and the server appends it at most once. Rejects with the
   * server's error, or publish_unavailable on close or fallback.
   */
  publish(service, room, data, { idempotencyKey } = {}) {
    if (this.#state === FALLBACK || this.#state === CLOSED) return Promise.reject(asError(PUB_UNAVAILABLE));
    // The key is made here, in the calling tab, so that a follower's publish
    // keeps it across leaders: a re-send to a new leader is a duplicate.
    const key = idempotencyKey || hex(crypto.getRandomValues(new Uint8Array(12)));
    if (this.#follower()) return this.#ask('pub', [service, room, data, { idempotencyKey: key }]);
    const id = 'p' + (++this.#nextId);
    const msg = JSON.stringify({ type: 'publish', service, room, data, id, idempotencyKey: key });
    return new Promise((ok, fail) => {
      this.#pending.set(id, { msg, ok, fail });
      if (this.#sock?.acked) this.#sock.ws.send(msg); // else the next ack sends it
    });
  }

  /** Tells the room that this user is typing (throttled by the server; never stored). */
  typing(room, service = 'chat') {
    if (this.#follower()) this.#post({ n: 'typ', a: [room, service] });
    else this.#send({ type: 'typing', service, room });
  }

  /**
   * Uploads file over the WebSocket (PROTOCOL.md, Uploads). Resolves with
   * {uploadId, size, sha256, seq} once the server stored every byte and
   * published documents/upload.completed; rejects with an Error whose code
   * is the server's (upload_too_large, …), upload_aborted, or
   * upload_unavailable when not (or no longer) on the WebSocket. The
   * SHA-256 is taken first from file.arrayBuffer(): the whole file is in
   * memory once, which is fine up to the server's limit (100 MiB by
   * default). Then chunks are read from the file and sent, at most ~4 in
   * the socket's buffer. After a reconnect it resumes from the committed
   * offset. The promise has abort().
   */
  upload(file, { onProgress, id } = {}) {
    if (this.#follower()) {
      id ||= this.#tab + ++this.#nextId;
      return Object.assign(this.#ask('up', [file], id, onProgress), { abort: () => this.#abortFwd(id) });
    }
    const u = { file, onProgress, id: id || 'u' + ++this.#nextId, run: 0, retry: 0 };
    const p = new Promise((ok, fail) => Object.assign(u, { ok, fail }));
    (async () => {
      const h = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
      u.sha = hex(h);
      if (u.done) return this.#ups.delete(u);
      if (this.#state === FALLBACK || this.#state === CLOSED) throw asError(UNAVAILABLE);
      this.#ups.add(u);
      this.#upSend(u); // or the next ack does
    })().catch((e) => this.#upEnd(u, e));
    return Object.assign(p, {
      abort: () => this.#upAbort(u, asError(ABORTED)),
    });
  }

  /** Users present in room, on every node (GET /v2/realtime/presence). */
  async presence(room) {
    const u = new URL('presence', this.#pollUrl);
    u.searchParams.set('room', room);
    const token = this.#token || (this.#o.getToken && await this.#o.getToken());
    const r = await fetch(u, { headers: { Authorization: 'Bearer ' + token } });
    if (!r.ok) throw Object.assign(new Error('realtime: presence HTTP ' + r.status), { status: r.status });
    return (await r.json()).users;
  }

  #settle(f, bad) {
    const p = f.id && this.#pending.get(f.id);
    if (!p) return false;
    this.#pending.delete(f.id);
    if (bad) p.fail(asError(f));
    else p.ok(f.seq);
    return true;
  }

  // Sends o on the acked WebSocket, if there is one; false if not.
  #send(o) {
    const s = this.#sock;
    if (!s || !s.acked) return false;
    s.ws.send(JSON.stringify(o));
    return true;
  }

  // Starts u, or resumes it once the server named it.
  #upSend(u) {
    const f = u.file;
    this.#send(u.uploadId ? { type: 'upload.resume', uploadId: u.uploadId } : {
      type: 'upload.start', name: f.name, size: f.size,
      contentType: f.type || 'application/octet-stream', sha256: u.sha, id: u.id,
    });
  }

  // An upload.* frame, or an error frame about an upload. False if it
  // concerns no upload of this client.
  #upFrame(s, f) {
    let u;
    for (const x of this.#ups) if ((f.uploadId && x.uploadId === f.uploadId) || (f.id && x.id === f.id)) u = x;
    if (!u) return false;
    const t = f.type, c = f.code;
    if (u.done) { // aborted before it was named
      this.#ups.delete(u);
      if (t === 'upload.ready') this.#send({ type: 'upload.abort', uploadId: f.uploadId });
    } else if (t === 'upload.ready') {
      [u.uploadId, u.chunk] = [f.uploadId, f.chunkSize || u.chunk || 1 << 18];
      this.#pump(u, s, f.offset);
    } else if (t === 'upload.progress') {
      u.retry = 0;
      this.#call(u.onProgress, f.offset, u.file.size);
    } else if (t === 'upload.done') {
      this.#call(u.onProgress, f.size, f.size);
      this.#upEnd(u, null, { uploadId: f.uploadId, size: f.size, sha256: f.sha256, seq: f.seq });
    } else if (c === 'upload_offset') {
      // Chunks already in flight may be refused with the same offset: one
      // restart from it is enough.
      if (f.offset !== u.from) this.#pump(u, s, f.offset);
    } else if (c === 'upload_failed' && u.retry++ < 3) {
      u.run++;
      setTimeout(() => u.done || this.#upSend(u), 1000 * u.retry);
    } else this.#upEnd(u, asError(f));
    return true;
  }

  // Sends u's chunks from off on s, until the end, a newer pump, or a
  // drop. Each chunk is read just before it is sent, and only while the
  // socket has fewer than ~4 buffered. A failed read (the file changed on
  // disk) ends the upload with its error. Sending a Blob of a file slice
  // instead would let that failure kill the WebSocket, and again after
  // every reconnect's resume.
  async #pump(u, s, off) {
    const run = ++u.run, id = u.uploadId, n = id.length, f = u.file, ws = s.ws;
    const head = [1, n, ...Array.from(id, (ch) => ch.charCodeAt(0))];
    const live = () => run === u.run && this.#sock === s;
    u.from = off;
    while (off < f.size && live()) {
      if (ws.bufferedAmount > 3 * u.chunk) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      let b;
      try {
        b = new Uint8Array(await f.slice(off, off + u.chunk).arrayBuffer());
        if (!b.length) throw new Error('realtime: the file got shorter');
      } catch (e) {
        return this.#upAbort(u, e);
      }
      if (!live()) return;
      const m = new Uint8Array(10 + n + b.length);
      m.set(head);
      new DataView(m.buffer).setBigUint64(2 + n, BigInt(off));
      m.set(b, 10 + n);
      ws.send(m);
      off += b.length;
    }
  }

  // Ends u with e and deletes it on the server. Without an uploadId or an
  // acked socket it waits in #ups, done: #upFrame deletes it when its
  // upload.ready comes, #acked after a reconnect.
  #upAbort(u, e) {
    if (u.done) return;
    this.#upEnd(u, e);
    if (!this.#upDelete(u)) this.#ups.add(u);
  }

  #upDelete(u) {
    return !!u.uploadId && this.#send({ type: 'upload.abort', uploadId: u.uploadId });
  }

  #upEnd(u, e, res) {
    this.#ups.delete(u);
    u.done = true;
    u.run++;
    if (e) u.fail(e);
    else u.ok(res);
  }

  /**
   * Stops for good: closes the socket, aborts a poll, cancels timers. A
   * leading tab hands the connection to the next tab in line.
   */
  close() {
    const bc = this.#bc;
    this.#bc = null;
    this.#shared = this.#leads = false;
    if (bc) {
      bc.close();
      this.#quit.abort();
    }
    this.#halted = false;
    this.#stop();
    clearTimeout(this.#retryTimer);
    this.#set(CLOSED);
  }

  // The token rule: before every connection or poll that follows a failure,
  // ask getToken (unless setToken just gave one). A token the server
  // rejected (4001/4003, HTTP 401/403) is never sent again: if that is all
  // there is, stop in 'closed' until setToken.
  async #takeToken() {
    if (!this.#fresh && this.#o.getToken) this.#token = await this.#o.getToken();
    this.#fresh = false;
    return this.#token;
  }

  async #connect(trial) {
    this.#stop();
    if (flag() === 'false') return this.#fallback();
    const gen = this.#gen;
    let token;
    try {
      token = await this.#takeToken();
    } catch (err) {
      if (gen !== this.#gen) return;
      this.#tokenError(err);
      return trial ? this.#fallback() : this.#retry();
    }
    if (gen !== this.#gen) return;
    if (!token || token === this.#rejected) return this.#halt(NO_TOKEN);
    this.#open(token, trial);
  }

  #open(token, trial) {
    const u = new URL(this.#url);
    u.searchParams.set('access_token', token);
    let ws;
    try {
      ws = new WebSocket(u);
    } catch (err) {
      // Refused before any network I/O (e.g. ws: from an https page):
      // retrying cannot help, long-poll over https may.
      this.#emit('onError', { type: 'error', code: 'websocket_unavailable', message: String(err) });
      return this.#fallback();
    }
    const s = this.#sock = { ws, token, trial, lastPing: 0, gaps: 0 };
    this.#beat();
    this.#watch();
    ws.onopen = () => {
      s.opened = true;
      const h = { services: this.#o.services, version: 1 };
      if (this.#o.rooms) h.rooms = this.#o.rooms;
      if (flag() === 'true') h.optIn = true;
      if (this.#lastSeq != null) {
        h.lastSeq = this.#lastSeq;
        if (this.#epoch) h.epoch = this.#epoch;
      }
      ws.send(JSON.stringify(h));
    };
    ws.onmessage = (m) => this.#frame(s, m.data);
    ws.onclose = (e) => this.#dropped(s, e.code);
  }

  #frame(s, text) {
    this.#beat();
    let f;
    try { f = JSON.parse(text); } catch { return; }
    switch (f.type) {
      case 'event':
        for (const e of f.events) this.#apply(f.service, e);
        break;
      case 'ping':
        this.#learn(s);
        s.ws.send('{"type":"pong"}');
        break;
      case 'ack':
        this.#acked(s, f);
        break;
      case 'refreshed':
        [s.token, this.#token] = [s.next, s.next];
        this.#planRefresh(s, f.exp);
        break;
      case 'fallback':
        s.fb = f;
        break;
      case 'published':
        this.#settle(f, false);
        break;
      case 'typing':
        this.#emit('onTyping', f);
        break;
      case 'presence':
        this.#emit('onPresence', f);
        break;
      case 'upload.ready':
      case 'upload.progress':
      case 'upload.done':
        this.#upFrame(s, f);
        break;
      case 'error':
        if (!this.#settle(f, true) && !this.#upFrame(s, f)) this.#emit('onError', f);
    }
  }

  #acked(s, f) {
    s.acked = true;
    this.#revoked = false;
    this.#planRefresh(s, f.exp);
    this.#openedAt = Date.now();
    this.#fails = 0;
    clearTimeout(this.#retryTimer);
    if (f.recovered === false) this.#resync(f.seq, f.epoch);
    else [this.#lastSeq, this.#epoch] = [f.seq, f.epoch];
    this.#set(OPEN);
    this.#watch();
    // Unanswered publishes again, in order, under their keys: one that
    // reached the log before the drop is answered with its seq.
    for (const p of this.#pending.values()) s.ws.send(p.msg);
    // Resume every upload, and delete those aborted while disconnected. One
    // aborted before the server named it is lost with its connection (the
    // server expires it).
    for (const u of this.#ups) {
      if (!u.done) this.#upSend(u);
      else {
        this.#upDelete(u);
        this.#ups.delete(u);
      }
    }
  }

  // Silence limit: 2.5 learned ping intervals once acked. The first gap
  // between pings sets the interval; later gaps can only raise it, so one
  // early ping cannot shrink the limit below a real gap.
  #learn(s) {
    const now = Date.now();
    if (s.lastPing) {
      const gap = now - s.lastPing;
      this.#interval = s.gaps++ ? Math.max(this.#interval, gap) : gap;
      this.#watch(); // the limit may have shrunk: re-arm for the new one
    }
    s.lastPing = now;
  }

  // In-band refresh at about 80 % of the token's remaining lifetime (from
  // the ack's or the last refreshed's exp): a new token from getToken goes
  // over the open socket, so the connection outlives the old token with no
  // reconnect. Without getToken the token is fixed: the server closes 4002
  // at its exp and the client stops on the rejected-token rule.
  #planRefresh(s, exp) {
    clearTimeout(this.#refreshTimer);
    if (!exp || !this.#o.getToken) return;
    const wait = Math.max(1000, 0.8 * (exp * 1000 - Date.now()));
    this.#refreshTimer = setTimeout(async () => {
      try {
        s.next = await this.#o.getToken();
      } catch (err) {
        this.#tokenError(err);
      }
      if (this.#sock !== s) return;
      if (s.next && s.next !== s.token) this.#send({ type: 'refresh', token: s.next });
      else this.#planRefresh(s, exp); // no new token yet: ask again, closer to exp
    }, wait);
  }

  #beat() { this.#lastFrame = Date.now(); }

  // One timer per client, re-armed for the remaining time instead of on
  // every frame, so a busy stream costs no timer churn.
  #watch() {
    clearTimeout(this.#dog);
    const s = this.#sock;
    if (!s) return;
    const limit = s.acked ? 2.5 * this.#interval : this.#o.connectTimeout;
    const left = this.#lastFrame + limit - Date.now();
    if (left > 0) this.#dog = setTimeout(() => this.#watch(), left);
    else this.#dropped(s, 1006); // dead: do not wait for a close handshake
  }

  #dropped(s, code) {
    if (this.#sock !== s) return;
    this.#stop();
    if (s.acked && Date.now() - this.#openedAt >= this.#o.stableAfter) this.#attempt = 0;
    if (s.fb || code === CLOSE_FALLBACK) {
      if (s.fb && s.fb.url && !this.#o.pollUrl) this.#pollUrl = new URL(s.fb.url, this.#pollUrl);
      return this.#fallback();
    }
    if (FATAL.includes(code)) return this.#halt();
    if (REJECTED.includes(code) || code === REVOKED) {
      // Refused after a refresh was sent: the new token is the one to blame.
      this.#rejected = s.next || s.token;
      if (this.#revoked) return this.#halt(REVOKED_STOP);
    }
    if (code === REVOKED) this.#revoked = true;
    if (code === EXPIRED || code === REVOKED) return this.#connect(false); // getToken, then resume
    if (s.trial && !s.acked) return this.#fallback();
    if (!s.opened && ++this.#fails >= this.#o.maxFailures) return this.#probe();
    this.#retry();
  }

  // getToken threw: report it; the caller backs off and asks again.
  #tokenError(err) {
    this.#emit('onError', { type: 'error', code: 'token_unavailable', message: String(err) });
  }

  #retry() {
    this.#set(RECONNECTING);
    this.#sleep(this.#delay()).then(() => this.#connect(false));
  }

  // WebSocket failed to open maxFailures times in a row. Blocked (a proxy)
  // or is the server down? One immediate poll tells: if HTTP answers, try
  // one more WebSocket at once and fall back if that fails too; if HTTP
  // fails as well, keep retrying the WebSocket.
  async #probe() {
    this.#set(RECONNECTING);
    const gen = ++this.#gen;
    const ok = await this.#poll(gen, 0);
    if (gen !== this.#gen) return;
    if (ok) this.#connect(true);
    else this.#sleep(this.#delay()).then(() => this.#connect(false));
  }

  async #fallback() {
    this.#set(FALLBACK);
    clearTimeout(this.#retryTimer);
    if (flag() !== 'false') this.#retryTimer = setTimeout(() => this.#connect(true), this.#o.wsRetryInterval);
    const gen = ++this.#gen;
    for (;;) {
      const ok = await this.#poll(gen, this.#o.pollTimeout);
      if (gen !== this.#gen) return;
      if (ok) this.#attempt = 0;
      else await this.#sleep(this.#delay());
    }
  }

  // One long-poll. Resolves true if it got an answer and applied it.
  async #poll(gen, timeout) {
    let token;
    try {
      token = await this.#takeToken();
    } catch (err) {
      if (gen === this.#gen) this.#tokenError(err);
      return false;
    }
    if (gen !== this.#gen) return false;
    if (!token || token === this.#rejected) return this.#halt(NO_TOKEN);
    const u = new URL(this.#pollUrl);
    const q = u.searchParams;
    q.set('services', this.#o.services.join(','));
    if (this.#lastSeq != null) {
      q.set('lastSeq', this.#lastSeq);
      if (this.#epoch) q.set('epoch', this.#epoch);
    }
    q.set('timeout', timeout);
    const ac = this.#abort = new AbortController();
    const t = setTimeout(() => ac.abort(), timeout * 1000 + this.#o.connectTimeout);
    let res, b;
    try {
      res = await fetch(u, { headers: { Authorization: 'Bearer ' + token }, signal: ac.signal, cache: 'no-store' });
      b = await res.json();
    } catch {
      // network error, abort or a body that is not JSON: retried below
    } finally {
      clearTimeout(t);
    }
    if (gen !== this.#gen) return false;
    if (res && res.ok && b) {
      this.#fresh = true; // the next poll may reuse a token that just worked
      if (b.recovered === false) this.#resync(b.seq, b.epoch);
      else {
        this.#epoch = b.epoch;
        for (const e of b.events) this.#apply(e.service, e);
        if (this.#lastSeq == null || b.seq > this.#lastSeq) this.#lastSeq = b.seq;
      }
      return true;
    }
    if (b && b.type === 'error') this.#emit('onError', b);
    if (res && (res.status === 401 || res.status === 403)) {
      this.#rejected = token;
      if (b && b.message === 'token revoked' && this.#revoked) return this.#halt(REVOKED_STOP);
      if (b && b.message === 'token revoked') this.#revoked = true;
    }
    else if (res && res.status === 400) return this.#halt();
    return false;
  }

  // Seq is per org, not per service: one counter guards every service.
  #apply(service, e) {
    if (this.#lastSeq != null && e.seq <= this.#lastSeq) return;
    this.#lastSeq = e.seq;
    this.#emit('onEvent', { seq: e.seq, service, type: e.type, data: e.data, ts: e.ts });
  }

  #resync(seq, epoch) {
    [this.#lastSeq, this.#epoch] = [seq, epoch];
    this.#emit('onResync', { seq, epoch });
  }

  // Stops until setToken. err, if given, is reported first; a close the
  // server explained had its error frame reported already.
  #halt(err) {
    if (err) this.#emit('onError', err);
    this.#stop();
    clearTimeout(this.#retryTimer);
    this.#halted = true;
    this.#set(CLOSED);
    return false;
  }

  // Cancels whatever runs now: socket, poll, sleep, watchdog. The WebSocket
  // retry timer is left alone; callers that end long-poll mode clear it.
  #stop() {
    this.#gen++;
    clearTimeout(this.#timer);
    clearTimeout(this.#dog);
    clearTimeout(this.#refreshTimer);
    if (this.#abort) this.#abort.abort();
    const s = this.#sock;
    this.#sock = null;
    if (s) {
      s.ws.onopen = s.ws.onmessage = s.ws.onclose = null;
      try { s.ws.close(1000); } catch { /* already closed */ }
    }
  }

  #sleep(ms) {
    return new Promise((resolve) => { this.#timer = setTimeout(resolve, ms); });
  }

  #delay() {
    const ceiling = Math.min(this.#o.backoffCap, this.#o.backoffBase * 2 ** this.#attempt++);
    return Math.random() * ceiling;
  }

  #set(state) {
    const prev = this.#state;
    if (prev === state) return;
    this.#state = state;
    if (state === FALLBACK || state === CLOSED) {
      for (const u of this.#ups) this.#upEnd(u, asError(UNAVAILABLE));
      for (const p of this.#pending.values()) p.fail(asError(p.n === 'up' ? UNAVAILABLE : PUB_UNAVAILABLE));
      this.#pending.clear();
    }
    this.#emit('onStateChange', state, prev);
  }

  // A throwing callback must not break the client: report it on its own
  // stack, where the console and window.onerror see it.
  #emit(name, ...args) {
    if (this.#leads) this.#post({ n: name, a: args });
    this.#call(this.#o[name], ...args);
  }

  #call(f, ...args) {
    if (!f) return;
    try { f(...args); } catch (e) { setTimeout(() => { throw e; }); }
  }

  // ---- Tab sharing ------------------------------------------------------
  //
  // Tabs whose connections would be identical (URL, the token's org and
  // user, services, rooms) meet on a BroadcastChannel and a Web Lock of one
  // name. The lock's holder leads: it runs the connection as a lone client
  // would and posts everything it emits ({n: callback name, a: arguments,
  // q: lastSeq, ep: epoch, rv: revoked}). Followers replay those through the same
  // #apply/#set/#resync, so they keep their own lastSeq and drop what they
  // have applied already. Their publish/typing/upload/setToken go to the
  // leader as requests ({n, a, id}), answered with {n: 're', id, v | e | p}.
  // When the leader's tab closes or crashes, the browser gives the lock to
  // the next tab, which resumes from its own lastSeq: every tab applied the
  // same prefix of the old leader's posts (they are delivered even after
  // it is gone), so that is the last seq any tab applied.
  //
  // A follower's request stays in its #pending until answered, and goes
  // again to each new leader (or runs here when this tab leads). A publish
  // carries the key its tab made, so the old leader may have appended it:
  // the new one gets the original seq back (the server de-duplicates), and
  // the promise settles once with it.
  //
  // Tokens: only the leader has a socket, so only it refreshes in band and
  // answers 4002/4009, with its own getToken. Followers learn its errors and
  // its stop ('closed', e.g. 'revoked': they share user and token source),
  // and keep its revoked flag, so that a follower that takes over stops on
  // a second refusal as the old leader would have.

  // Until it knows whether it leads, a sharing tab keeps its requests for
  // the leader (#share posts them once it has joined).
  #follower() { return this.#shared && !this.#leads; }

  // Learns org and user from the token's payload (not verified: only to
  // group tabs), joins the channel and queues for the lock.
  async #share() {
    const o = this.#o, t = await this.#takeToken();
    this.#fresh = true; // the first connection may still use it
    const c = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    const name = 'realtime:' + JSON.stringify([this.#url.href, c.org, c.sub, [...o.services].sort(), o.rooms]);
    if (this.#state === CLOSED) return;
    const bc = this.#bc = new BroadcastChannel(name);
    bc.onmessage = (m) => this.#heard(m.data);
    this.#post({ n: 'hi', t }); // the leader answers with its state, or restarts with t if stopped
    this.#again(); // requests made before joining
    this.#quit = new AbortController();
    navigator.locks.request(name, { signal: this.#quit.signal }, () => new Promise((r) => {
      this.#quit = { abort: r };
      this.#lead();
    })).catch(() => {}); // aborted by close()
  }

  // This tab holds the connection: alone, or with the lock, which is ours
  // until this tab closes. Requests it had for the old leader run here,
  // publishes under their keys. A stop the old leader made (token rule,
  // revocation) holds for the group: the new leader stays closed until a
  // setToken, or a tab that joins, brings a token.
  #lead() {
    const mine = [...this.#pending.values()];
    this.#pending.clear();
    this.#leads = true;
    this.#post({ n: 'lead' });
    if (!this.#halted) {
      if (this.#state !== CONNECTING) this.#set(RECONNECTING);
      this.#connect(false);
    }
    for (const p of mine) (p.n === 'up' ? this.#run(p.id, p.a[0], p.onProgress) : this.publish(...p.a)).then(p.ok, p.fail);
  }

  // Posts every request not answered yet (to a leader that may not have them).
  #again() {
    for (const { n, a, id } of this.#pending.values()) this.#post({ n, a, id });
  }

  #post(m) {
    this.#bc?.postMessage({ ...m, q: this.#lastSeq, ep: this.#epoch, rv: this.#revoked });
  }

  // A request to the leader, settled by its answer.
  #ask(n, a, id = this.#tab + ++this.#nextId, onProgress) {
    return new Promise((ok, fail) => {
      this.#pending.set(id, { ok, fail, n, a, id, onProgress });
      this.#post({ n, a, id });
    });
  }

  #abortFwd(id) {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    p?.fail(asError(ABORTED));
    if (this.#leads) this.#fwd.get(id)?.();
    else this.#post({ n: 'ab', id });
  }

  // Runs a follower's upload here; abort stays reachable by its id.
  #run(id, file, onProgress) {
    const u = this.upload(file, { id, onProgress });
    this.#fwd.set(id, u.abort);
    return u.finally(() => this.#fwd.delete(id));
  }

  #heard(m) {
    const { n, a, id } = m, p = this.#pending.get(id);
    if (this.#leads) return this.#serve(m);
    if (n === 're') {
      if (p && m.p) this.#call(p.onProgress, ...m.p);
      else if (p) {
        this.#pending.delete(id);
        m.e ? p.fail(asError(m.e)) : p.ok(m.v);
      }
    } else if (n === 'lead') this.#again(); // a new leader: ask it again
    else if (n.startsWith('on')) { // the leader emitted
      this.#fresh = false; // on takeover, ask getToken afresh
      // The leader's revoked flag (set at the 4009 that follows the server's
      // 'revoked' error), so a new leader stops on a second refusal too.
      this.#revoked = m.rv || a[0]?.code === 'revoked';
      if (n === 'onEvent') this.#apply(a[0].service, a[0]);
      else if (n === 'onStateChange') {
        this.#halted = a[0] === CLOSED; // a leader posts 'closed' only when it stopped
        this.#set(a[0]);
      }
      else if (n === 'onResync') this.#resync(a[0].seq, a[0].epoch);
      else this.#emit(n, ...a);
      this.#epoch = m.ep;
      this.#lastSeq ??= m.q;
    }
  }

  // A follower's request, carried out here and answered.
  // A tab that joins a stopped connection restarts it with its token, as a
  // lone client's page load would, unless that token was refused already.
  #serve({ n, a, id, t }) {
    const re = (m) => this.#post({ n: 're', id, ...m });
    const answer = (p) => p.then((v) => re({ v }), (e) => re({ e: { code: e.code, message: e.message } }));
    if (n === 'hi') this.#halted && t !== this.#rejected ? this.setToken(t) : this.#post({ n: 'onStateChange', a: [this.#state] });
    else if (n === 'pub') answer(this.publish(...a));
    else if (n === 'typ') this.typing(...a);
    else if (n === 'tok') this.setToken(...a);
    else if (n === 'ab') this.#fwd.get(id)?.();
    // A follower that sent 'up' just as this tab took over sends it again
    // on 'lead': run it once. A 'pub' served twice is one event: same key.
    else if (n === 'up' && !this.#fwd.has(id)) answer(this.#run(id, a[0], (...p) => re({ p })));
  }
}
