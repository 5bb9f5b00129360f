// The live feed (WS /api/v1/live): a snapshot, then deltas; resumes with after=<last position> when the
// socket drops, with jittered backoff; says when it has gone quiet. Pages give it what to do with each
// message; forms wait on it (reached) until the position a command answered has been applied.
import { openLive } from './api.js';

const HEARTBEAT_MS = 15000;
const STALE_AFTER_MS = 2 * HEARTBEAT_MS + 5000;   // two missed heartbeats: say so
const DEAD_AFTER_MS = 4 * HEARTBEAT_MS;           // a half-open socket: drop it and resume
const RETRY_MS = [500, 1000, 2000, 4000];

export class LiveFeed {
  /**
   * query: extra query text (e.g. 'packed=true'); position(): the last position applied, or null;
   * onMessage(msg); onConn(state: 'live' | 'reconnecting' | 'stale'); onAuthFailed(); probe(): 'ok' |
   * 'invalid' | 'unreachable' (asked when a socket fails before it opened); wanted(): keep retrying?
   */
  constructor({ query = '', position, onMessage, onConn, onAuthFailed, probe, wanted, stats }) {
    Object.assign(this, { query, position, onMessage, onConn, onAuthFailed, probe, wanted });
    this.stats = stats ?? { resumes: [] };
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.lastHeard = 0;
    this.conn = 'connecting';
    this.waiters = [];
    this.watchdog = setInterval(() => this.checkQuiet(), 1000);
  }

  connect() {
    clearTimeout(this.retryTimer);
    const after = this.position();
    const resume = after === null || after === undefined ? '' : `after=${after}`;
    const socket = openLive([this.query, resume].filter(Boolean).join('&'));
    let opened = false;
    this.socket = socket;
    if (after !== null) this.stats.resumes.push({ after, first: null });
    socket.addEventListener('open', () => {
      opened = true;
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.setConn('live');
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      const message = JSON.parse(event.data);
      const resumed = this.stats.resumes.at(-1);
      if (after !== null && resumed && resumed.first === null) resumed.first = message.type;
      this.onMessage(message);
      if (this.conn !== 'live') this.setConn('live');
      this.advanced(this.position());
    });
    socket.addEventListener('close', (event) => this.closed(socket, event, opened));
  }

  async closed(socket, event, opened) {
    if (socket !== this.socket) return;  // a socket we replaced or closed on purpose
    this.socket = null;
    if (event.code === 4401) {
      this.onAuthFailed();
      return;
    }
    // The server refuses a bad token before the handshake completes, which a browser only sees as a
    // failed connection: ask over HTTP whether the token or the network is at fault.
    if (!opened && (await this.probe()) === 'invalid') {
      this.onAuthFailed();
      return;
    }
    // Meanwhile the page may have gone elsewhere (review, sign-out) or to a new socket.
    if (!this.wanted() || this.socket) return;
    this.scheduleRetry(event.code === 4008 ? 0 : null);  // 4008: we were too slow; resume at once
  }

  scheduleRetry(delay) {
    this.setConn('reconnecting');
    const base = RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)];
    this.attempt += 1;
    // Jitter, so a room full of screens does not reconnect in one beat.
    this.retryTimer = setTimeout(() => this.connect(), delay ?? base * (0.8 + 0.4 * Math.random()));
  }

  stop() {
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close(1000, 'leaving live');
  }

  checkQuiet() {
    if (!this.socket || !this.wanted()) return;
    const silent = Date.now() - this.lastHeard;
    if (silent > DEAD_AFTER_MS) this.socket.close(4000, 'silent');  // its close handler resumes with after=
    else if (silent > STALE_AFTER_MS && this.conn === 'live') this.setConn('stale');
  }

  setConn(conn) {
    this.conn = conn;
    this.onConn(conn);
  }

  /** Resolves once the page has applied `position` from the feed (or `timeoutMs` passed: then false). */
  reached(position, timeoutMs = 20000) {
    const now = this.position();
    if (now !== null && now !== undefined && now >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { position, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The page applied messages up to `position`: release the forms waiting for it. */
  advanced(position) {
    if (position === null || position === undefined || !this.waiters.length) return;
    const ready = this.waiters.filter((w) => w.position <= position);
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const waiter of ready) {
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
  }
}
