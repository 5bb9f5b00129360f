// Signing in with a one-time enrolment link (…/#enrol=CODE or …/m/#enrol=CODE). The code rides in the URL's
// fragment, which browsers never send to a server; it leaves the address bar at once and is exchanged, once,
// for this device's own token (POST /api/v1/enrolments/redeem, open without a token).
import { ApiProblem } from './api.js';

const DEVICE_KEY = 'lianfang.device';

/** The code of a `#enrol=` fragment, removed from the address bar (and so from history); null if none. */
export function takeEnrolCode() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const code = fragment.get('enrol');
  if (!code) return null;
  fragment.delete('enrol');
  const rest = fragment.toString();
  history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  return code.trim();
}

/** This browser's device id (not a secret: it scopes Idempotency-Keys, so it outlives a sign-in). */
export function browserDevice() {
  let device = localStorage.getItem(DEVICE_KEY);
  if (!device) {
    device = `browser-${crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2)}`;
    localStorage.setItem(DEVICE_KEY, device);
  }
  return device;
}

/** Exchange `code` for a token: {token, role, unit, name, device, expires_at}; ApiProblem (410) when it is gone. */
export async function redeemCode(code, device) {
  const response = await fetch('/api/v1/enrolments/redeem', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code, device }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiProblem(response.status, body);
  return body;
}
