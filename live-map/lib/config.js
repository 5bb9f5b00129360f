// What the server says before sign-in (GET /api/v1/config): the domain's words in both languages, the
// map's colours, the levels, and which role may send which command. One source, never copied here.

export const config = {
  drill: null, tile_url: null, levels: [], zone_steps: {}, order: {}, terms: { zh: {}, en: {} }, palette: {}, may: {},
};

const RETRY_MS = [500, 1000, 2000, 4000];

/** Fetch the configuration, retrying until the server answers (the page can do nothing without it). */
export async function loadConfig({ onRetry } = {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch('/api/v1/config');
      if (response.ok) {
        Object.assign(config, await response.json());
        return config;
      }
    } catch (error) {
      console.warn('config unavailable; retrying', error);
    }
    onRetry?.(attempt);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
  }
}

/** May a token of `role` send `command`? (The server checks every request; this only shapes the page.) */
export function may(role, command) {
  return Boolean(role && config.may[command]?.includes(role));
}

export function palette() {
  return config.palette;
}

let ranks = { levels: null, of: {} };

/** A level's rank as the server gives it: higher is more serious, 0 for no level. */
export function levelRank(level) {
  if (ranks.levels !== config.levels) ranks = { levels: config.levels, of: Object.fromEntries(config.levels.map((l) => [l.level, l.rank])) };
  return ranks.of[level] ?? 0;
}

/** The colour name of the level of `rank` (grey for none), a key of palette().level. */
export function rankColour(rank) {
  return config.levels.find((l) => l.rank === rank)?.colour ?? 'grey';
}

/** The values of a group in the server's order (e.g. order('zone') → ['sealed', 'controlled', 'prevention']). */
export function order(group) {
  return config.order[group] ?? [];
}
