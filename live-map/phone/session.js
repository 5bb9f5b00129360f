// The phone's sign-in: its device id and token kept in IndexedDB (they survive closing the app and a restart).
import { del, get, set } from '/vendor/idb-keyval/index.js';
import { newKey, setToken } from '/live-map/lib/api.js';
import { redeemCode, takeEnrolCode } from '/live-map/lib/enrol.js';

export async function device() {
  let id = await get('device');
  if (!id) {
    id = `phone-${newKey()}`;
    await set('device', id);
  }
  return id;
}

/** 'ok' (a token is held), 'none', or 'gone' (the link's code was used or expired), after redeeming a #enrol= link. */
export async function signIn() {
  const code = takeEnrolCode();
  if (code) {
    try {
      const answer = await redeemCode(code, await device());
      await set('token', answer.token);
      await set('me', { role: answer.role, unit: answer.unit, name: answer.name });
    } catch (error) {
      console.warn('the enrolment code was not accepted', error);
      if (error?.status === 410) return 'gone';
    }
  }
  const token = await get('token');
  setToken(token ?? null);
  return token ? 'ok' : 'none';
}

export async function signedInAs() {
  return get('me');
}

export async function forget() {
  await del('token');
  setToken(null);
}
