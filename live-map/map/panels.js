// The side panels and counts, drawn once per animation frame however many deltas arrived.
import { renderIncidentBoard } from './board.js';
import { renderLedger } from './ledger.js';
import { LAYER_NAMES, layers, stats } from './state.js';
import { tally } from './store.js';

let panelsFrame = null;
const dirtyPanels = new Set();

/** Mark panels ('counts', 'incidents', 'ledger') to redraw at the next frame. */
export function schedulePanels(...names) {
  for (const name of names) dirtyPanels.add(name);
  if (panelsFrame === null) panelsFrame = requestAnimationFrame(() => { panelsFrame = null; renderPanels(); });
}

export function renderPanels(all = false) {
  const started = performance.now();
  if (all || dirtyPanels.has('counts')) renderCounts();
  if (all || dirtyPanels.has('incidents')) renderIncidentBoard();
  if (all || dirtyPanels.has('ledger')) renderLedger();
  dirtyPanels.clear();
  stats.lastPanelsMs = performance.now() - started;
}

function renderCounts() {
  for (const name of LAYER_NAMES) {
    document.querySelector(`[data-count-layer="${name}"]`).textContent = layers[name].features.size;
  }
  for (const [kind, n] of Object.entries(tally.zones)) {
    const target = document.querySelector(`[data-count-zone="${kind}"]`);
    if (target) target.textContent = n;
  }
  for (const [key, n] of Object.entries(tally.kpi)) document.querySelector(`[data-kpi="${key}"]`).textContent = n;
}
