// Type declarations for realtime.js, served at /v2/realtime/client.d.ts.
// Behaviour: docs/CLIENT.md.

/** Where the client is. Transitions are reported through onStateChange. */
export type State = 'connecting' | 'open' | 'reconnecting' | 'fallback' | 'closed';

/** One event of the org's log, as delivered to onEvent. */
export interface RealtimeEvent<T = unknown> {
  /** Position in the org's log: increases, with gaps for other services. */
  seq: number;
  service: string;
  type: string;
  /** The JSON value the publisher sent. */
  data: T;
  /** Publish time, RFC 3339 UTC with milliseconds. */
  ts: string;
}

/** An error frame from the server, an HTTP error body, or one of the client's own. */
export interface RealtimeError {
  type: 'error';
  /** e.g. 'unauthorized', 'token_expired', 'revoked', 'service_not_allowed', 'internal_error', 'token_rejected', 'token_unavailable'. */
  code: string;
  message: string;
}

export interface ResyncInfo {
  /** The new resume point: the head of the log when the server answered. */
  seq: number;
  epoch: string;
}

/** What an upload's promise resolves with: the server's upload.done. */
export interface UploadResult {
  uploadId: string;
  /** Bytes stored. */
  size: number;
  /** Hex SHA-256 of the stored file (the one the client declared). */
  sha256: string;
  /** Seq of the documents/upload.completed event in the org's log. */
  seq: number;
}

export interface UploadOptions {
  /** Called with the committed byte count as the server reports it, and (size, size) at the end. */
  onProgress?: (committed: number, size: number) => void;
  /** Echoed by the server in upload.ready and errors; default 'u<n>'. Unique among this client's uploads. */
  id?: string;
}

export interface PublishOptions {
  /**
   * The publish's idempotency key, 1-128 of A-Z a-z 0-9 _ . : -; default a
   * random one per call. Pass your own to retry a publish yourself (after
   * publish_failed) without it appearing twice: the server remembers a key
   * per user for REALTIME_IDEMPOTENCY_WINDOW (24 h).
   */
  idempotencyKey?: string;
}

/** An upload in progress: a promise of its result that can be cancelled. */
export interface Upload extends Promise<UploadResult> {
  /**
   * Rejects the promise with code 'upload_aborted' and tells the server to
   * delete the bytes: at once, or after the next reconnect when not
   * connected (if the client falls back to long-poll or closes first, the
   * server expires the upload after REALTIME_UPLOAD_EXPIRY instead).
   */
  abort(): void;
}

export interface Options {
  /** Services of the token's org to receive (1 to 64). */
  services: string[];
  /** Per service, the only rooms to receive, e.g. {chat: ['frontdesk']} (WebSocket only). */
  rooms?: Record<string, string[]>;
  /** A fixed token. Give this or getToken. */
  token?: string;
  /**
   * Called before every connection that follows a failure or a drop, and
   * for the in-band refresh at about 80 % of the token's remaining life
   * (from the ack's exp): the new token is sent on the open WebSocket, with
   * no reconnect. It must not return a token past its exp. Returning the
   * token the server last rejected, or nothing, stops the client in
   * 'closed' until setToken. After a 4009 (revoked) it is called once; if
   * that token is refused too, the client stops and reports 'revoked'.
   * With tab sharing, only the leading tab's getToken serves the shared
   * connection (reconnects, refreshes, 4002, 4009); a follower's is called
   * once at start (to read the token's org and user, and to restart a
   * connection the group had stopped) and again when it becomes the leader
   * of a connection that is not stopped.
   */
  getToken?: () => string | Promise<string>;
  /** ws(s) URL of /v2/realtime/stream. Default: derived from this script's URL. */
  url?: string;
  /** Long-poll URL. Default: 'poll' next to url, or the URL the server's fallback message names. */
  pollUrl?: string;
  /**
   * Resume point from an earlier session (send both or neither). A tab
   * that joins a shared connection starts at the leader's position instead.
   */
  lastSeq?: number;
  epoch?: string;
  onEvent?: (event: RealtimeEvent) => void;
  onStateChange?: (state: State, previous: State) => void;
  /** The server could not replay what was missed: reload your state, then carry on. */
  onResync?: (info: ResyncInfo) => void;
  onError?: (error: RealtimeError) => void;
  /** Someone joined or left a room of this connection's rooms filter: {type: 'presence', room, join} or {type: 'presence', room, leave}. */
  onPresence?: (change: { type: 'presence'; room: string; join?: string; leave?: string }) => void;
  /** Someone is typing: {type: 'typing', service, room, user}. */
  onTyping?: (signal: { type: 'typing'; service: string; room: string; user: string }) => void;
  /** Backoff before reconnects, full jitter: random(0, min(cap, base * 2^n)) ms. Default 500. */
  backoffBase?: number;
  /** Default 30000 ms. */
  backoffCap?: number;
  /** A connection that lasted this long resets the backoff. Default 10000 ms. */
  stableAfter?: number;
  /** Assumed ping interval until two pings have been seen. Default 30000 ms. */
  pingInterval?: number;
  /** Time from opening a WebSocket to its ack. Default 10000 ms. */
  connectTimeout?: number;
  /** WebSockets that fail to open in a row before long-poll is probed. Default 3. */
  maxFailures?: number;
  /** How often a client on long-poll tries the WebSocket again. Default 300000 ms. */
  wsRetryInterval?: number;
  /** Seconds the server may hold a long-poll (at most 30). Default 25. */
  pollTimeout?: number;
  /**
   * Share one connection with the other tabs of this origin whose
   * connection would be identical (url, the token's org and user, services,
   * rooms): one tab leads (Web Locks) and the others follow over a
   * BroadcastChannel; their publish, typing, upload and setToken go to the
   * leader. When the leading tab goes, another takes over and resumes with
   * no gap or duplicate. Without BroadcastChannel or Web Locks each tab
   * connects alone. Default true; false keeps this client's own connection.
   */
  shareTabs?: boolean;
}

export interface Realtime {
  readonly state: State;
  /** Highest seq applied, or null before the first ack. */
  readonly lastSeq: number | null;
  /** Epoch that lastSeq belongs to, or null before the first ack. */
  readonly epoch: string | null;
  /** True while this tab holds the connection (always, when not sharing). */
  readonly leader: boolean;
  /** Use this token for the next connection; restarts a client stopped by the token rule. */
  setToken(token: string): void;
  /**
   * Publish data into a room of service over the WebSocket (the token needs
   * the "publish" claim). Resolves once with the event's seq. Each call
   * carries an idempotency key (random unless given: 1-128 of
   * A-Z a-z 0-9 _ . : -), so when the connection drops before the answer
   * the client sends it again after the reconnect and the server appends
   * it at most once; a call made while connecting or reconnecting waits
   * for the connection. Rejects with an Error whose `code` is the server's
   * (publish_not_allowed, rate_limited, bad_publish, busy, publish_failed),
   * or publish_unavailable when the client is closed or falls back to
   * long-poll before the answer. In a follower tab the leading tab sends
   * it, under the key made here: after a takeover the next leader sends it
   * again under that key, and the promise still settles once.
   */
  publish(service: string, room: string, data: unknown, options?: PublishOptions): Promise<number>;
  /** Tell a room this user is typing (server-throttled, never stored or replayed; needs the publish claim). */
  typing(room: string, service?: string): void;
  /**
   * Upload file over the WebSocket (server needs REALTIME_UPLOAD_DIR). It
   * hashes the file first (SHA-256 over file.arrayBuffer(), so the file is
   * in memory once; needs a secure context), then sends it in chunks and
   * resumes it after reconnects. Resolves when the server stored it and
   * published a documents/upload.completed event. Rejects with an Error
   * whose `code` is the server's (upload_too_large,
   * upload_type_not_allowed, upload_too_many, upload_hash_mismatch,
   * upload_not_found, upload_disabled, …), 'upload_aborted' after abort(),
   * or 'upload_unavailable' when the client is on long-poll/SSE (or falls
   * back to it during the upload) or is closed. A file that cannot be read
   * (changed on disk) rejects with the browser's error, and the upload is
   * deleted on the server.
   */
  upload(file: File, options?: UploadOptions): Upload;
  /** Users present in room across every node (only connections with a rooms filter are present). */
  presence(room: string): Promise<string[]>;
  /** Stop for good. A leading tab hands the shared connection to the next tab. */
  close(): void;
}

/**
 * Connects and returns the client. The browser's
 * localStorage.REALTIME_STREAMING_V2 is read at each connection attempt:
 * 'false' keeps it on long-polling with no WebSocket attempt; 'true' sends
 * "optIn":true in the handshake (honoured when the rollout hash has optin 1).
 */
export function connect(options: Options): Realtime;
