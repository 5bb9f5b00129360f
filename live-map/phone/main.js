// The field teams' phone page (/m/): sign in with a one-time link, report offline-first through the outbox,
// follow the incidents of the team's jurisdiction (live when online, the last known values when not).
import './words.js';
import { get as idbGet, set as idbSet } from '/vendor/idb-keyval/index.js';
import { AuthError, get } from '/live-map/lib/api.js';
import { loadConfig } from '/live-map/lib/config.js';
import { el } from '/live-map/lib/dom.js';
import { getLanguage, setLanguage, translatePage, t } from '/live-map/lib/i18n.js';
import { createTaskDesk } from '/live-map/lib/tasks.js';
import { drain, entries, isPaused, onChange, resume } from './outbox.js';
import { forget, signIn, signedInAs } from './session.js';
import { openForm, renderIncidents, renderOutbox } from './views.js';

const POLL_MS = 3000;
let here = null;  // [lon, lat] from the GPS
let me = null;
let board = { incidents: [], live: false, knownAt: null };
let desk = null;  // 我的任务, for a unit member (lib/tasks.js, the desk's own views)

function position() {
  return here;
}

function locate() {
  const say = (text) => { gpsText = text; el('gps').textContent = text(); };
  say(() => t('gps.wait'));
  if (!navigator.geolocation) { say(() => t('gps.none')); return; }
  navigator.geolocation.getCurrentPosition((p) => {
    here = [Number(p.coords.longitude.toFixed(6)), Number(p.coords.latitude.toFixed(6))];
    const acc = Math.round(p.coords.accuracy);
    say(() => t('gps.ok', { lon: here[0], lat: here[1], acc }));
  }, () => { say(() => t('gps.none')); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
}

function showBoard() {
  renderIncidents(board.incidents, board, (incident) => openForm({ incident, position }));
}

async function refreshBoard() {
  try {
    const answer = await get('/incidents');
    const mine = answer.incidents.filter((i) => i.status !== 'closed' && (!me?.jurisdiction || (i.jurisdiction ?? '').startsWith(me.jurisdiction)));
    board = { incidents: mine, live: true, knownAt: new Date().toISOString() };
    await idbSet('board', board);
    setOnline(true);
  } catch (error) {
    if (error instanceof AuthError) { await signedOut(); return; }
    board = { ...board, live: false };
    setOnline(false);
  }
  showBoard();
}

let online = false;
let gpsText = () => t('gps.wait');

function setOnline(now = online) {
  online = now;
  el('net').textContent = online ? t('m.online') : t('m.offline');
  el('net').className = online ? 'net online' : 'net offline';
}

async function signedOut() {
  await forget();
  el('signin').hidden = false;
  el('signin-text').textContent = t('m.signin.again');
}

function applyLanguage(lang) {
  setLanguage(lang);
  translatePage();
  setOnline();
  el('gps').textContent = gpsText();
  showBoard();
  desk?.render();
  entries().then((all) => renderOutbox(all, { paused: isPaused() }, position));
}

async function main() {
  setLanguage(getLanguage());
  translatePage();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch((e) => console.warn('no service worker', e));
  await loadConfig();
  translatePage();
  el('lang-toggle').addEventListener('click', () => applyLanguage(getLanguage() === 'en' ? 'zh' : 'en'));
  el('report').addEventListener('click', () => openForm({ position }));
  el('gps-retry').addEventListener('click', locate);
  let delivered = 0;
  onChange((all, state) => {
    renderOutbox(all, state, position);
    const now = all.filter((e) => e.status === 'sent').length;
    if (now !== delivered) { delivered = now; refreshBoard(); }  // the counts they changed, at once
    if (state.paused) signedOut();
  });
  const signed = await signIn();
  if (signed !== 'ok') {
    el('signin').hidden = false;
    el('signin-text').textContent = t(signed === 'gone' ? 'm.signin.gone' : 'm.signin');
  } else {
    me = (await signedInAs()) ?? null;
    el('who').textContent = me?.name ?? '';
    if (me?.unit && !me.jurisdiction) {
      try {
        const unit = (await get('/units')).units.find((u) => u.id === me.unit);
        me = { ...me, jurisdiction: unit?.jurisdiction ?? null };
        await idbSet('me', me);
      } catch (error) {
        console.warn('the unit\'s jurisdiction is not known yet', error);
      }
    }
  }
  board = (await idbGet('board')) ?? board;
  board.live = false;
  showBoard();
  renderOutbox(await entries(), { paused: false }, position);
  locate();
  if (signed === 'ok' && me?.role === 'unit') {
    el('tasks').hidden = false;
    desk = createTaskDesk({ container: el('tasks'), me, feed: null });
    desk.load().catch((error) => console.warn('tasks not loaded', error));
    setInterval(() => { if (online) desk.load().catch(() => {}); }, POLL_MS);
  }
  if (signed === 'ok') {
    resume();
    refreshBoard();
    setInterval(() => { refreshBoard(); drain(); }, POLL_MS);
  }
  window.lianfangPhone = { entries, ready: true };
}

main();
