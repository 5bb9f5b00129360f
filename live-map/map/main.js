// The command center's live map (一张图): one snapshot, then deltas over the websocket, applied in
// place. The base is the county's own jurisdictions, so the page works without a tile server. A
// commander's page also carries the console (console/): the acts of the command center, from the map.
import './words.js';
import { takeToken } from '../lib/api.js';
import { config, loadConfig } from '../lib/config.js';
import { el } from '../lib/dom.js';
import { getLanguage, setLanguage, t, translatePage } from '../lib/i18n.js';
import { startConsole } from '../console/console.js';
import { fillActivityRow } from './activity.js';
import { exposeDiagnostics } from './diagnostics.js';
import { showWhoAmI, startDesk } from './desk.js';
import { createFeed, feed, setConn, showPosition } from './feed.js';
import { addBaseLayers } from './base.js';
import { offerExercise } from './exercise.js';
import { addTiles, createMap } from './layers.js';
import { refreshLabels } from './labels.js';
import { paintSwatches, showDrill, wireLegend } from './legend.js';
import { enrolFromLink, probeToken, showLogin, whoAmI, wireLogin } from './login.js';
import { renderPanels } from './panels.js';
import { loadAt, showSliderAtEnd, wireReview } from './review.js';
import { emptyRow } from './rows.js';
import { layers, state } from './state.js';

function applyLanguage(lang) {
  setLanguage(lang);
  translatePage();
  if (state.review.player) el('play').textContent = t('pause');
  for (const layer of Object.values(layers)) refreshLabels(layer);
  for (const li of el('activity-list').querySelectorAll('li.activity')) fillActivityRow(li, li.entry);
  if (el('activity-list').querySelector('.empty')) el('activity-list').replaceChildren(emptyRow('empty.activity'));
  if (state.mode === 'live') el('review-time').textContent = t('conn.live');
  showWhoAmI(state.me);
  document.dispatchEvent(new CustomEvent('lianfang:language'));
  renderPanels(true);
  showPosition();
}

async function begin() {
  setConn('connecting');
  const check = await probeToken();
  if (check === 'invalid') {
    showLogin('login.invalid');
    return;
  }
  state.me = check === 'ok' ? await whoAmI() : null;
  addBaseLayers(config.base_layers);
  offerExercise(state.me ? config.exercise : null);
  showWhoAmI(state.me);
  // A unit's page is its task desk; the commander's acts are the console's (each only what the role may send).
  if (state.me?.role === 'unit') startDesk(state.me);
  else startConsole(state.me);
  const at = new URL(location.href).searchParams.get('at');
  if (at && !Number.isNaN(Date.parse(at))) {
    loadAt(Date.parse(at));
  } else {
    showSliderAtEnd();
    feed.connect();  // if the server is unreachable, the socket fails and we retry
  }
}

async function main() {
  setLanguage(getLanguage());
  exposeDiagnostics();
  await loadConfig({ onRetry: () => { el('conn-label').textContent = t('conn.reconnecting'); } });
  translatePage();
  paintSwatches();
  el('lang-toggle').addEventListener('click', () => applyLanguage(getLanguage() === 'en' ? 'zh' : 'en'));
  wireLogin(begin);
  wireReview();
  createMap();
  wireLegend();
  createFeed({ probe: probeToken, onAuthFailed: () => showLogin('login.invalid') });
  renderPanels(true);
  showDrill(config.drill);
  addTiles(config.tile_url);
  if (!(await enrolFromLink())) return;
  if (!takeToken()) {
    showLogin();
    return;
  }
  await begin();
}

main();
