// The drill banner, the legend's swatches (in the server's colours) and its layer toggles.
import { palette } from '../lib/config.js';
import { el } from '../lib/dom.js';
import { layers, map } from './state.js';

export function showDrill(drill) {
  const banner = el('drill-banner');
  banner.hidden = !drill;
  document.body.classList.toggle('drill', Boolean(drill));
  el('drill-name').textContent = drill ? [drill.scenario, drill.run].filter(Boolean).join(' · ') : '';
}

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
  // On a narrow screen the legend starts folded: its title opens it.
  const legend = el('legend');
  if (window.matchMedia('(max-width: 700px)').matches) legend.classList.add('folded');
  el('legend-title').addEventListener('click', () => legend.classList.toggle('folded'));
}
