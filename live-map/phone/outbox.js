// The outbox (待发送): every report is written to IndexedDB the moment it is entered, with its own
// Idempotency-Key and occurred_at, before any network call; sent in order, retried with backoff (the same key
// again), so the server records it exactly once. A refusal never blocks the entries behind it; a 401
// (a revoked or expired sign-in) pauses the whole queue (nothing is discarded) until the person signs in again;
// a 403 (e.g. outside the team's jurisdiction) refuses that entry only.
import { get as idbGet, update as idbUpdate } from '/vendor/idb-keyval/index.js';
import { ApiProblem, AuthError, newKey, post } from '/live-map/lib/api.js';

const STORE_KEY = 'outbox';
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
const listeners = new Set();
let draining = false;
let paused = false;
let timer = null;
let failures = 0;

export const PENDING = 'pending';
export const SENT = 'sent';
export const REFUSED = 'refused';

export async function entries() {
  return (await idbGet(STORE_KEY)) ?? [];
}

export function onChange(listener) {
  listeners.add(listener);
}

async function changed() {
  const all = await entries();
  for (const listener of listeners) listener(all, { paused, failures });
}

async function change(id, fields) {
  await idbUpdate(STORE_KEY, (all = []) => all.map((e) => (e.id === id ? { ...e, ...fields } : e)));
}

/** Queue one report: {path, body, label}; its key and occurred_at are fixed now (a correction keeps occurred_at). */
export async function enqueue({ path, body, label }, occurredAt = new Date().toISOString()) {
  const entry = { id: newKey(), key: newKey(), path, label, body: { ...body, occurred_at: occurredAt },
    status: PENDING, entered_at: new Date().toISOString() };
  await idbUpdate(STORE_KEY, (all = []) => [...all, entry]);
  await changed();
  drain();
  return entry;
}

export async function discard(id) {
  await idbUpdate(STORE_KEY, (all = []) => all.filter((e) => e.id !== id));
  await changed();
}

/** A corrected refusal: a new entry (new key) with the original occurred_at; the refused one goes. */
export async function correct(id, body) {
  const old = (await entries()).find((e) => e.id === id);
  if (!old) return null;
  await discard(id);
  return enqueue({ path: old.path, body, label: old.label }, old.body.occurred_at);
}

export function isPaused() {
  return paused;
}

/** After signing in again: the queue goes on from where it stopped. */
export function resume() {
  paused = false;
  failures = 0;
  drain();
}

function later() {
  clearTimeout(timer);
  timer = setTimeout(drain, BACKOFF_MS[Math.min(failures - 1, BACKOFF_MS.length - 1)]);
}

/** Send what waits, in order; stops at the first failure of the network or the server, and tries again later. */
export async function drain() {
  if (draining || paused) return;
  draining = true;
  try {
    for (;;) {
      const next = (await entries()).find((e) => e.status === PENDING);
      if (!next) break;
      try {
        const answer = await post(next.path, next.body, { key: next.key });
        await change(next.id, { status: SENT, answer, sent_at: new Date().toISOString() });
        failures = 0;
      } catch (error) {
        // 401 (revoked or expired sign-in) pauses everything. A 403 is the server's answer to this entry (a point
        // outside the team's jurisdiction): it is refused with its detail, like a 409, and blocks nothing.
        if (error instanceof AuthError) {
          paused = true;
          break;
        }
        if (error instanceof ApiProblem && error.status >= 400 && error.status < 500 && error.status !== 429 && error.status !== 408) {
          await change(next.id, { status: REFUSED, detail: error.detail, http: error.status });
          continue;
        }
        failures += 1;  // unreachable, 5xx, 429: the same key again later
        later();
        break;
      }
      await changed();
    }
  } finally {
    draining = false;
    await changed();
  }
}

addEventListener('online', () => { failures = 0; drain(); });
