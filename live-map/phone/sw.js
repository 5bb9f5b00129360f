// The phone page's service worker: the app shell from the cache when the network is gone (also on a reload).
// Network first, so a deployed update is seen at once when online; API writes and reads pass through.
// (The live feed is a websocket, which no cache holds: board.js keeps its last values in IndexedDB.)
const CACHE = 'lianfang-phone-v4';
const SHELL = [
  '/m/', '/m/index.html', '/m/phone.css', '/m/manifest.webmanifest', '/m/icon.svg',
  '/m/main.js', '/m/outbox.js', '/m/privacy.js', '/m/views.js', '/m/words.js', '/m/session.js', '/m/board.js', '/m/pick.js',
  '/live-map/lib/api.js', '/live-map/lib/config.js', '/live-map/lib/i18n.js', '/live-map/lib/dom.js', '/live-map/lib/live.js',
  '/live-map/lib/geometry.js', '/live-map/lib/packed.js', '/live-map/lib/time.js', '/live-map/lib/enrol.js', '/live-map/lib/forms.js', '/live-map/lib/tasks.js',
  '/vendor/idb-keyval/index.js', '/vendor/leaflet/leaflet.js', '/vendor/leaflet/leaflet.css', '/api/v1/config',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin) return;
  const path = url.pathname === '/m' ? '/m/' : url.pathname;
  if (!SHELL.includes(path)) return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(path, copy));
    }
    return response;
  }).catch(() => caches.match(path, { ignoreSearch: true }).then((hit) => hit ?? Response.error())));
});
