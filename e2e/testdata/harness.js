// Test harness loaded into a page on the gateway's origin. It records every
// callback of the client so the Go test can poll window.snapshot().
window.h = { events: [], states: [], errors: [], resyncs: [], tokens: [], tokenCalls: 0, pings: 0, sockets: [], refreshed: 0 };

// Count the server's JSON pings and the in-band refreshes it confirmed
// without touching the client: wrap the global WebSocket that the client
// constructs. Each socket the page opens is recorded too ({at, code,
// closedAt}, ms on the page's clock), so a test counting connections can
// say which tab opened one and how it ended.
window.WebSocket = class extends WebSocket {
  constructor(...args) {
    super(...args);
    const rec = { at: Date.now() };
    h.sockets.push(rec);
    this.addEventListener('message', (m) => {
      if (typeof m.data === 'string' && m.data.startsWith('{"type":"ping"')) h.pings++;
      if (typeof m.data === 'string' && m.data.startsWith('{"type":"refreshed"')) h.refreshed++;
    });
    this.addEventListener('close', (e) => { rec.code = e.code; rec.closedAt = Date.now(); });
  }
};

// Record when this tab is granted a Web Lock (the client's lock is how a
// tab comes to lead a shared connection), on the page's own clock.
if (navigator.locks) {
  const request = navigator.locks.request.bind(navigator.locks);
  navigator.locks.request = (name, opts, cb) => request(name, opts, (l) => { h.ledAt = Date.now(); return cb(l); });
}

// startClient imports the client the gateway serves (from opts.module when
// the page is on another origin) and connects with opts.
// With opts.tokens (instead of token/getToken), getToken returns h.tokens[0]
// and an 'unauthorized' error drops it when another is queued behind it,
// like an app that refreshes its cached token when told it was rejected.
window.startClient = async (opts) => {
  const { connect } = await import(opts.module || '/v2/realtime/client.js');
  const o = {
    ...opts,
    onEvent: (e) => h.events.push(e),
    onStateChange: (s) => {
      h.states.push(s);
      if (s === 'open') h.openAt = Date.now();
    },
    onResync: (r) => h.resyncs.push(r),
    onError: (e) => {
      h.errors.push({ code: e.code, message: e.message });
      if (e.code === 'unauthorized' && h.tokens.length > 1) h.tokens.shift();
    },
  };
  delete o.module;
  if (opts.tokens) {
    h.tokens = opts.tokens;
    delete o.tokens;
    o.getToken = async () => { h.tokenCalls++; return h.tokens[0]; };
  }
  h.rt = connect(o);
  return h.rt.state;
};

window.snapshot = () => JSON.stringify({
  state: h.rt ? h.rt.state : '',
  lastSeq: h.rt ? h.rt.lastSeq : null,
  epoch: h.rt ? h.rt.epoch : null,
  events: h.events,
  states: h.states,
  errors: h.errors,
  resyncs: h.resyncs,
  tokenCalls: h.tokenCalls,
  pings: h.pings,
  sockets: h.sockets,
  leader: h.rt ? h.rt.leader : false,
  ledAt: h.ledAt || 0,
  openAt: h.openAt || 0,
  refreshed: h.refreshed,
});
