// Signing in with a token (an observer's is enough to watch); who the token is decides what the page offers.
import { ApiProblem, AuthError, get, setToken } from '../lib/api.js';
import { el } from '../lib/dom.js';
import { browserDevice, redeemCode, takeEnrolCode } from '../lib/enrol.js';
import { t } from '../lib/i18n.js';
import { feed } from './feed.js';
import { state } from './state.js';

/** 'ok', 'invalid' or 'unreachable'; the first event's time also starts the review timeline. */
export async function probeToken() {
  try {
    const first = await get('/events?after=0&limit=1');
    if (first.events.length) state.review.start = Date.parse(first.events[0].recorded_at);
    return 'ok';
  } catch (error) {
    return error instanceof AuthError ? 'invalid' : 'unreachable';
  }
}

/** Who this token is (role, unit, name), or null when the server cannot say now. */
export async function whoAmI() {
  try {
    return await get('/me');
  } catch (error) {
    console.warn('could not ask the server who this token is', error);
    return null;
  }
}

export function showLogin(messageKey) {
  feed?.stop();
  setToken(null);
  el('login-error').textContent = messageKey ? t(messageKey) : '';
  el('login').hidden = false;
  el('login-token').focus();
}

export function wireLogin(signedIn) {
  el('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = el('login-token').value.trim();
    if (!token) return;
    setToken(token);
    el('login-token').value = '';
    el('login').hidden = true;
    signedIn();
  });
}

/** A `#enrol=CODE` link: exchange the code for this browser's token (kept in session storage). False if the code
 * is gone (used or expired): the sign-in form then says so. */
export async function enrolFromLink() {
  const code = takeEnrolCode();
  if (!code) return true;
  try {
    setToken((await redeemCode(code, browserDevice())).token);
    return true;
  } catch (error) {
    console.warn('the enrolment code was not accepted', error);
    showLogin(error instanceof ApiProblem && error.status === 410 ? 'login.code_gone' : 'login.unreachable');
    if (error instanceof ApiProblem) el('login-error').textContent += ` (${error.detail})`;
    return false;
  }
}
