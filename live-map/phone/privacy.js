// A note is checked for ID-card and mobile numbers before it is queued, by the API's own rule (its patterns
// come from GET /api/v1/config), so the person can fix it while still on the spot.
import { config } from '/live-map/lib/config.js';

/** 'id_number', 'mobile' or null. */
export function personalDataIn(text) {
  if (!text) return null;
  const normal = text.normalize('NFKC');
  const both = `${normal}\n${normal.replace(/[\s\-\u2010-\u2015]/g, '')}`;
  for (const [kind, pattern] of Object.entries(config.personal_data ?? {})) {
    if (new RegExp(pattern).test(both)) return kind;
  }
  return null;
}
