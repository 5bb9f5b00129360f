// Signing in with a token (an observer's is enough to watch); who the token is decides what the page offers.
import { AuthError, get, setToken } from '../lib/api.js';
import { el } from '../lib/dom.js';
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
