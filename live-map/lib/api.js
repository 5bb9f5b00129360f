// The HTTP API as the pages use it: a bearer token kept for the session, GETs, and POSTs that carry an
// Idempotency-Key (made by the caller when its form opens) and, on a state transition, If-Match.

const API = '/api/v1';
const TOKEN_KEY = 'lianfang.token';
let token = null;

export class AuthError extends Error {}

/** A refusal in RFC 9457 problem+json: `detail` says what to do. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title ?? '';
    this.detail = problem?.detail ?? `HTTP ${status}`;
    this.problem = problem ?? {};
  }

  get conflict() {
    return this.status === 409 && this.title === 'Version conflict';
  }
}

export function getToken() {
  return token;
}

export function setToken(value) {
  token = value || null;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The token from ?access_token= (once: it leaves the address bar at once) or from this session. */
export function takeToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('access_token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('access_token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  token = sessionStorage.getItem(TOKEN_KEY);
  return token;
}

/** A new Idempotency-Key: make it when a form opens, so that every send of that form is one act. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function answer(path, response) {
  if (response.status === 401) throw new AuthError(path);
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) throw new ApiProblem(response.status, typeof body === 'object' ? body : { detail: body || `HTTP ${response.status}` });
  return body;
}

export async function get(path) {
  const response = await fetch(API + path, { headers: { Authorization: `Bearer ${token}` } });
  return answer(path, response);
}

/**
 * POST `body` as JSON with `key` as its Idempotency-Key and, when given, `version` as If-Match.
 * Answers the server's JSON (id, version, position), or throws ApiProblem / AuthError.
 */
export async function post(path, body, { key, version, accept } = {}) {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  if (key) headers['Idempotency-Key'] = key;
  if (version !== undefined && version !== null) headers['If-Match'] = String(version);
  if (accept) headers.Accept = accept;
  const response = await fetch(API + path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  return answer(path, response);
}

/**
 * The live feed: browsers cannot set headers on a websocket, so the token goes as the subprotocol after
 * `lianfang.bearer` (the server answers with `lianfang.bearer` alone); never in the address, where logs keep it.
 */
export function openLive(query) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return new WebSocket(`${scheme}://${location.host}${API}/live${query ? `?${query}` : ''}`, ['lianfang.bearer', token]);
}
