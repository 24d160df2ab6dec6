// Test harness loaded into a page on the gateway's origin. It records every
// callback of the client so the Go test can poll window.snapshot().
window.h = { events: [], states: [], errors: [], resyncs: [], tokens: [], tokenCalls: 0, pings: 0, sockets: 0, refreshed: 0 };

// Count the server's JSON pings, the in-band refreshes it confirmed and the
// sockets opened, without touching the client: wrap the global WebSocket
// that the client constructs.
window.WebSocket = class extends WebSocket {
  constructor(...args) {
    super(...args);
    h.sockets++;
    this.addEventListener('message', (m) => {
      if (typeof m.data === 'string' && m.data.startsWith('{"type":"ping"')) h.pings++;
      if (typeof m.data === 'string' && m.data.startsWith('{"type":"refreshed"')) h.refreshed++;
    });
  }
};

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
    onStateChange: (s) => h.states.push(s),
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
  refreshed: h.refreshed,
});
