// Service worker of the venue verifier: keeps the page and its assets so the verifier
// opens and works offline. It only handles /verifier/ files; the verification data
// (/v1/verifier/*) is fetched and stored by the page itself (js/store.js), and nothing
// else passes through here.

const CACHE = 'venue-verifier-v2';
const ASSETS = [
  './',
  'style.css',
  'manifest.webmanifest',
  'icon.svg',
  'js/app.js',
  'js/i18n.js',
  'js/store.js',
  'js/scanner.js',
  'js/verify.js',
  'js/base45.js',
  'js/inflate.js',
  'js/cbor.js',
  'js/der.js',
  'vendor/certlogic.js',
  'vendor/jsqr.js',
  'vendor/dcc-schemas.js',
  'vendor/valuesets.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(ASSETS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Network first (a new release shows at once when online), the cached copy when offline.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const scope = new URL('./', self.location).pathname;
  if (!url.pathname.startsWith(scope)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(event.request);
        if (response.ok) await cache.put(event.request, response.clone());
        return response;
      } catch (e) {
        const hit = await cache.match(event.request, { ignoreSearch: true });
        if (hit) return hit;
        throw e;
      }
    })(),
  );
});
