// The drill banner, the legend's swatches (in the server's colours) and its layer toggles.
import { config, palette } from '../lib/config.js';
import { t } from '../lib/i18n.js';
import { el } from '../lib/dom.js';
import { layers, map } from './state.js';

let shownDrill = null;
let drillPoll = null;
const DRILL_POLL_MS = 10000;

/** The drill banner: the scenario's name, and once the drill has ended, its result (never its run id). */
export function showDrill(drill) {
  shownDrill = drill ?? null;
  const banner = el('drill-banner');
  banner.hidden = !drill;
  document.body.classList.toggle('drill', Boolean(drill));
  banner.dataset.status = drill?.status ?? '';
  el('drill-name').textContent = drill ? [drill.scenario, drillStatus(drill)].filter(Boolean).join(' · ') : '';
  // A drill served while it runs ends while the page is open: ask the server now and then how it stands.
  clearTimeout(drillPoll);
  if (drill?.status === 'running') drillPoll = setTimeout(refreshDrill, DRILL_POLL_MS);
}

function drillStatus(drill) {
  if (drill.status === 'completed') {
    const result = drill.result;
    return result ? t('drill.result', { held: result.held, total: result.expectations }) : t('drill.ended');
  }
  if (drill.status === 'interrupted' || drill.status === 'refused') return t('drill.stopped');
  return '';
}

async function refreshDrill() {
  try {
    const response = await fetch('/api/v1/config');
    if (response.ok) {
      const fresh = await response.json();
      config.drill = fresh.drill;
      showDrill(fresh.drill);
      return;
    }
  } catch (error) {
    console.warn('could not ask how the drill stands', error);
  }
  drillPoll = setTimeout(refreshDrill, DRILL_POLL_MS);
}

document.addEventListener('lianfang:language', () => showDrill(shownDrill));

export function paintSwatches() {
  const colours = palette();
  for (const swatch of document.querySelectorAll('[data-swatch]')) {
    const [group, key] = swatch.dataset.swatch.split(':');
    const colour = group === 'fill' ? colours.level?.[key] : colours[group]?.[key];
    if (colour) swatch.style.setProperty('--swatch', colour);
  }
}

export function wireLegend() {
  for (const box of document.querySelectorAll('[data-toggle]')) {
    box.addEventListener('change', () => {
      const layer = layers[box.dataset.toggle];
      layer.visible = box.checked;
      for (const drawn of [layer.geo, layer.bulk]) {
        if (!drawn) continue;
        if (box.checked) map.addLayer(drawn);
        else map.removeLayer(drawn);
      }
    });
  }
  // The legend folds to its title (a button); on a smaller screen it starts folded, leaving the map free.
  const legend = el('legend');
  const toggle = el('legend-toggle');
  const fold = (folded) => {
    legend.classList.toggle('folded', folded);
    toggle.setAttribute('aria-expanded', String(!folded));
  };
  fold(window.matchMedia('(max-width: 1500px), (max-height: 900px)').matches);
  toggle.addEventListener('click', () => fold(!legend.classList.contains('folded')));
}
