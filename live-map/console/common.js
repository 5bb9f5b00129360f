// What the console's forms share: the live feed to wait on, things as the map has them now, choices.
import { may, order } from '../lib/config.js';
import { h } from '../lib/dom.js';
import { t, term } from '../lib/i18n.js';
import { closeForms } from '../lib/forms.js';
import { feed } from '../map/feed.js';
import { layers, map, state } from '../map/state.js';

export { feed };

/** The feature's properties as the live map has them now (for a fresh state after a conflict). */
export function now(layer, kind, id) {
  return layers[layer].features.get(`${kind}:${id}`)?.properties ?? null;
}

/** The options of a select: every value of a domain group, by its name in the page's language. */
export function termOptions(group, values = order(group)) {
  return values.map((value) => ({ value, label: term(group, value) }));
}

export function openIncidents() {
  return [...layers.incidents.features.values()].map((f) => f.properties).filter((p) => p.status === 'open')
    .sort((a, b) => (a.reported_at < b.reported_at ? 1 : -1));
}

export function incidentOptions() {
  return openIncidents().map((p) => ({ value: p.id, label: p.title }));
}

/** A button of the console: its words are the act's name (the accessible name tests and staff use). */
export function actButton(command, onclick, extra = {}) {
  return h('button', { type: 'button', className: `act act-${command}`, dataset: { command }, onclick: (event) => {
    event.stopPropagation();
    map.closePopup();
    onclick(event);
  }, ...extra }, t(`act.${command}`));
}

/** May this page's token send `command` now (live, not reviewing the past)? */
export function allowed(command) {
  return state.mode === 'live' && may(state.me?.role, command);
}

export function placeText([lon, lat]) {
  return t('place', { lon: lon.toFixed(5), lat: lat.toFixed(5) });
}

export function done() {
  closeForms();
}
