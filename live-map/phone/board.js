// The incidents of the team's jurisdiction, live from the feed (lib/live.js: a snapshot, then deltas, resumed
// with after=N), and the team's own jurisdiction (its outline, for the small map and the "outside" hint).
// Both are kept in IndexedDB, so that offline (even after a reload) the phone shows the last known values
// and the time they were known.
import { get as idbGet, set as idbSet } from '/vendor/idb-keyval/index.js';
import { AuthError, get } from '/live-map/lib/api.js';
import { LiveFeed } from '/live-map/lib/live.js';
import { unpack } from '/live-map/lib/packed.js';

const BOARD_KEY = 'board';
const HOME_KEY = 'home';
const SAVE_AFTER_MS = 500;

/** An incident as the board shows it, from the map's incident feature. */
function fromFeature(p) {
  return { id: p.id, title: p.title, kind: p.incident_kind, counts: p.counts, status: p.status, jurisdiction: p.jurisdiction,
    level: p.level, version: p.version, reported_at: p.reported_at };
}

/**
 * Follow the board of jurisdiction `code` (null: every incident). onBoard({incidents, live, knownAt});
 * onHome(feature): the team's jurisdiction; onConn(state); onAuthFailed().
 */
export async function followBoard({ code, onBoard, onHome, onConn, onAuthFailed }) {
  const stored = await idbGet(BOARD_KEY);
  const same = stored && stored.code === (code ?? null);
  const board = { code: code ?? null, position: same ? stored.position : null, knownAt: same ? stored.knownAt : null,
    incidents: new Map(same ? stored.incidents.map((i) => [i.id, i]) : []) };
  let live = false;
  let saveTimer = null;
  const mine = (i) => i.status !== 'closed' && (!code || (i.jurisdiction ?? '').startsWith(code));
  const shown = () => [...board.incidents.values()].sort((a, b) => String(b.reported_at).localeCompare(String(a.reported_at)));
  const show = () => onBoard({ incidents: shown(), live, knownAt: board.knownAt });
  let dirty = false;
  const write = () => idbSet(BOARD_KEY, { code: board.code, position: board.position, knownAt: board.knownAt, incidents: shown() })
    .catch((error) => console.warn('the board was not kept', error));
  // At once (the network may go the next moment), then at most once per SAVE_AFTER_MS while deltas pour in.
  const save = () => {
    if (saveTimer) { dirty = true; return; }
    write();
    saveTimer = setTimeout(() => {
      saveTimer = null;
      if (dirty) { dirty = false; save(); }
    }, SAVE_AFTER_MS);
  };
  const home = code ? await idbGet(HOME_KEY) : null;
  if (home?.properties?.code === code) onHome(home);

  function applySnapshot(msg) {
    board.incidents.clear();
    // Packed, the county's large layers come by column: only the incidents' blocks are unpacked here.
    const features = [...msg.map.features];
    for (const block of msg.map.packed ?? []) if (block.kind === 'incident') unpack(block, features);
    for (const feature of features) {
      const p = feature.properties;
      if (p.kind === 'incident') {
        const incident = fromFeature(p);
        if (mine(incident)) board.incidents.set(incident.id, incident);
      } else if (p.kind === 'jurisdiction' && p.code === code) {
        idbSet(HOME_KEY, feature).catch((error) => console.warn('the jurisdiction was not kept', error));
        onHome(feature);
      }
    }
  }

  function applyChange(change) {
    if (change.layer !== 'incidents') return;
    const id = change.id.replace(/^incident:/, '');
    switch (change.op) {
      case 'upsert': {
        const incident = fromFeature(change.feature.properties);
        if (mine(incident)) board.incidents.set(id, incident);
        else board.incidents.delete(id);
        break;
      }
      case 'remove': board.incidents.delete(id); break;
      case 'update': {
        const old = board.incidents.get(id);
        if (old) board.incidents.set(id, { ...old, ...change.properties });
        break;
      }
      default: console.warn('phone board: unknown change', change.op);
    }
  }

  function onMessage(msg) {
    switch (msg.type) {
      case 'snapshot':
      case 'resync':
        applySnapshot(msg);
        board.position = msg.position;
        break;
      case 'delta':
        for (const change of msg.changes) applyChange(change);
        board.position = Math.max(board.position ?? 0, msg.position);
        break;
      case 'heartbeat':
        break;  // the values still stand: only their time moves on
      default:
        console.warn('phone board: unknown message type', msg.type);
    }
    board.knownAt = new Date().toISOString();
    save();
    show();
  }

  const feed = new LiveFeed({
    query: 'packed=true',
    position: () => board.position,
    onMessage,
    onConn: (conn) => {
      live = conn === 'live';
      show();
      onConn(conn);
    },
    onAuthFailed,
    probe: async () => {
      try {
        await get('/me');
        return 'ok';
      } catch (error) {
        return error instanceof AuthError ? 'invalid' : 'unreachable';
      }
    },
    wanted: () => true,
  });
  show();
  feed.connect();
  return { feed, board: () => ({ incidents: shown(), live, knownAt: board.knownAt, position: board.position }) };
}
