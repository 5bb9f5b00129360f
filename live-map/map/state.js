// The command-center page's state: what it shows, where the feed is, and its measurements.

export const CLUSTER_ABOVE = 2000;   // a point layer larger than this is drawn as grid clusters
export const CLUSTER_CELL_PX = 64;
export const CLUSTER_OFF_ZOOM = 17;  // from this zoom in, a clustered layer shows every point in view as itself
export const BULK_ABOVE = 2000;      // a layer of areas or lines larger than this is painted on one canvas
export const LABEL_LIMIT = 60;       // permanent labels only while a layer is this small
export const BOARD_LIMIT = 100;
export const LEDGER_LIMIT = 200;
export const ACTIVITY_LIMIT = 100;
export const PLAY_TICK_MS = 500;

export const COLOUR_RANK = { red: 0, yellow: 1, green: 2 };
export const COUNT_KEYS = ['confirmed', 'suspected', 'asymptomatic', 'close_contacts'];

// Bottom to top: each layer has its own pane and canvas, so a zone drawn late never hides an incident.
export const LAYER_NAMES = ['jurisdictions', 'zones', 'alerts', 'dispatches', 'resources', 'incidents'];
export const LAYER_OF_KIND = {
  jurisdiction: 'jurisdictions', zone: 'zones', alert: 'alerts',
  dispatch: 'dispatches', resource: 'resources', incident: 'incidents',
};
export const CLUSTERABLE = new Set(['resources', 'incidents']);
// Nested zones: whatever order they arrive in, sealed is drawn above controlled above prevention.
export const ZONE_KINDS = ['prevention', 'controlled', 'sealed'];

export const state = {
  me: null,                // who the token is: { role, unit, name, may }
  mode: 'live',            // 'live' or 'review'
  conn: 'connecting',      // connecting | live | reconnecting | stale | review
  position: null,
  at: null,
  fitted: false,
  tasks: new Map(),
  activityNewest: 0,
  review: { start: 0, end: 0, at: null, loading: false, pending: null, player: null, debounce: null },
};

// Measurements, read by the browser tests and handy in the console on the wall's machine.
export const stats = { deltas: 0, changes: 0, lastDeltaMs: 0, maxDeltaMs: 0, recentDeltaMs: [], lastSnapshotMs: 0,
  lastClusterMs: 0, lastPanelsMs: 0, resumes: [], messages: [], connStates: [] };

export const layers = {};
export const zoneRenderers = {};

// The Leaflet map, once made (see layers.js).
export let map = null;
export function setMap(made) {
  map = made;
}

// What other parts of the page add to popups and rows (the console's actions): functions of a feature
// (or a task row) that give the elements to show, or nothing.
export const extensions = { popupActions: [], incidentActions: [], taskActions: [], rowsKey: '' };
// Parts of the page that follow the live feed too (the unit's desk): each gets every message once applied.
export const feedListeners = [];
