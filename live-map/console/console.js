// The commander's console: the acts of the command center, from the map. Its controls appear only for
// roles that the server's role table allows (GET /api/v1/config, GET /me); the server checks every request.
import { may } from '../lib/config.js';
import { el } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { extensions, map, state } from '../map/state.js';
import { issueAlert, cancelAlert, updateAlert } from './alerts.js';
import { actButton, allowed, now } from './common.js';
import { commitDispatch, nextSteps, requestDispatch, stepDispatch } from './dispatches.js';
import { closeIncident, fileReport, reportIncident, setLevel } from './incidents.js';
import { pickPoint } from './picking.js';
import { assignTask, superviseTask } from './tasks.js';
import './words.js';
import { declareZone, downgradeZone, liftZone } from './zones.js';

const TOOLBAR = [
  ['report_incident', async () => {
    const point = await pickPoint(t('console.pickPoint'));
    if (point) reportIncident(point);
  }],
  ['declare_zone', () => declareZone()],
  ['assign_task', () => assignTask()],
  ['request_dispatch', () => requestDispatch()],
  ['issue_alert', () => issueAlert()],
];

let started = false;

/** Shape the page for `me` (who the token is); nothing is offered to a role that may not send it. */
export function startConsole(me) {
  extensions.rowsKey = me?.role ?? '';
  renderToolbar();
  if (started) return;
  started = true;
  extensions.popupActions.push(popupActions);
  extensions.incidentActions.push(incidentActions);
  extensions.taskActions.push(taskActions);
  // Right-click (or a long press on a touch screen) on the map: report an incident there.
  map.on('contextmenu', (event) => {
    if (!allowed('report_incident') || map.lianfangPicking) return;
    reportIncident([round(event.latlng.lng), round(event.latlng.lat)]);
  });
  document.addEventListener('lianfang:language', renderToolbar);
}

function renderToolbar() {
  const bar = el('console-bar');
  const buttons = TOOLBAR.filter(([command]) => may(state.me?.role, command)).map(([command, act]) => actButton(command, act));
  bar.replaceChildren(...buttons);
  bar.hidden = !buttons.length;
  bar.setAttribute('aria-label', t('console.label'));
}

function incidentActions(row) {
  if (row.status !== 'open') return [];
  // A row shows the incident as it is now (it is redrawn at the next frame after each change): act on that.
  const fresh = (act) => () => act(now('incidents', 'incident', row.id) ?? row);
  return [
    allowed('set_level') && actButton('set_level', fresh(setLevel)),
    allowed('file_report') && actButton('file_report', fresh(fileReport)),
    allowed('close_incident') && actButton('close_incident', fresh(closeIncident)),
    allowed('request_dispatch') && actButton('request_dispatch', () => requestDispatch(row.id)),
  ].filter(Boolean);
}

function incidentPopupActions(p) {
  if (p.status !== 'open') return [];
  return [
    allowed('set_level') && actButton('set_level', () => setLevel(p)),
    allowed('file_report') && actButton('file_report', () => fileReport(p)),
    allowed('close_incident') && actButton('close_incident', () => closeIncident(p)),
    allowed('request_dispatch') && actButton('request_dispatch', () => requestDispatch(p.id)),
  ].filter(Boolean);
}

function popupActions(feature) {
  const p = feature.properties;
  switch (p.kind) {
    case 'incident':
      return [...incidentPopupActions(p), p.status === 'open' && allowed('declare_zone') && actButton('declare_zone', () => declareZone(p.id)),
        p.status === 'open' && allowed('assign_task') && actButton('assign_task', () => assignTask(p.id))].filter(Boolean);
    case 'zone':
      return [
        p.zone_kind !== 'prevention' && allowed('downgrade_zone') && actButton('downgrade_zone', () => downgradeZone(p)),
        allowed('lift_zone') && actButton('lift_zone', () => liftZone(p)),
      ].filter(Boolean);
    case 'dispatch':
      return nextSteps(p.state).filter(allowed).map((command) => actButton(command, () => (command === 'commit_dispatch'
        ? commitDispatch(feature) : stepDispatch(command, feature))));
    case 'alert':
      return [
        allowed('update_alert') && actButton('update_alert', () => updateAlert(feature)),
        allowed('cancel_alert') && actButton('cancel_alert', () => cancelAlert(feature)),
      ].filter(Boolean);
    default:
      return [];
  }
}

function taskActions(task) {
  if (!['assigned', 'claimed'].includes(task.state) || !allowed('supervise_task')) return [];
  return [actButton('supervise_task', () => superviseTask(task))];
}

const round = (x) => Math.round(x * 1e6) / 1e6;

