// The field teams' phone page (/m/): sign in with a one-time link, report offline-first through the outbox,
// follow the incidents of the team's jurisdiction (live when online, the last known values when not).
import './words.js';
import { set as idbSet } from '/vendor/idb-keyval/index.js';
import { get } from '/live-map/lib/api.js';
import { loadConfig } from '/live-map/lib/config.js';
import { el } from '/live-map/lib/dom.js';
import { getLanguage, setLanguage, translatePage, t } from '/live-map/lib/i18n.js';
import { createTaskDesk } from '/live-map/lib/tasks.js';
import { followBoard } from './board.js';
import { drain, entries, isPaused, onChange, resume } from './outbox.js';
import { pickMap } from './pick.js';
import { forget, signIn, signedInAs } from './session.js';
import { knowPlace, openForm, renderIncidents, renderOutbox } from './views.js';

const TASKS_POLL_MS = 3000;
let here = null;  // [lon, lat] from the GPS
let home = null;  // the team's jurisdiction (a GeoJSON feature from the feed's geography), or null
let me = null;
let board = { incidents: [], live: false, knownAt: null };
let follower = null;
let desk = null;  // 我的任务, for a unit member (lib/tasks.js, the desk's own views)

knowPlace({ position: () => here, home: () => home });

function gpsChanged() {
  el('sheets').querySelector('form')?.gpsChanged?.();
}

function locate() {
  const say = (text) => { gpsText = text; el('gps').textContent = text(); };
  say(() => t('gps.wait'));
  if (!navigator.geolocation) { say(() => t('gps.none')); return; }
  navigator.geolocation.getCurrentPosition((p) => {
    here = [Number(p.coords.longitude.toFixed(6)), Number(p.coords.latitude.toFixed(6))];
    const acc = Math.round(p.coords.accuracy);
    say(() => t('gps.ok', { lon: here[0], lat: here[1], acc }));
    gpsChanged();
  }, () => { say(() => t('gps.none')); gpsChanged(); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
}

function showBoard() {
  renderIncidents(board.incidents, board, (incident) => openForm({ incident }));
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
  entries().then((all) => renderOutbox(all, { paused: isPaused() }));
}

async function main() {
  setLanguage(getLanguage());
  translatePage();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch((e) => console.warn('no service worker', e));
  await loadConfig();
  translatePage();
  el('lang-toggle').addEventListener('click', () => applyLanguage(getLanguage() === 'en' ? 'zh' : 'en'));
  el('report').addEventListener('click', () => openForm());
  el('gps-retry').addEventListener('click', locate);
  onChange((all, state) => {
    renderOutbox(all, state);
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
  renderOutbox(await entries(), { paused: false });
  locate();
  if (signed === 'ok' && me?.role === 'unit') {
    el('tasks').hidden = false;
    desk = createTaskDesk({ container: el('tasks'), me, feed: null });
    desk.load().catch((error) => console.warn('tasks not loaded', error));
    setInterval(() => { if (online) desk.load().catch(() => {}); }, TASKS_POLL_MS);
  }
  if (signed === 'ok') {
    resume();
    follower = await followBoard({
      code: me?.jurisdiction ?? null,
      onBoard: (now) => { board = now; showBoard(); },
      onHome: (feature) => { home = feature; },
      onConn: (conn) => {
        setOnline(conn === 'live');
        if (conn === 'live') drain();  // back online: what waits goes now, not at the next backoff
      },
      onAuthFailed: signedOut,
    });
  } else {
    showBoard();
  }
  window.lianfangPhone = { entries, board: () => follower?.board() ?? board, home: () => home, pickMap, ready: true };
}

main();
