// Innerdesk service worker: keeps the app shell so the page opens with no network at all.
//
// - Install: cache index.html and every asset it names (Trunk gives them content-hashed names).
// - Pages: network first, so an update shows up on the next visit; the cached shell when offline.
// - Assets: cache first (a hashed name never changes meaning); anything fetched is cached for next time.
// Data never passes through here: it lives in IndexedDB. The relay's own endpoints (sign-in session,
// audit trail, metrics, health) always go to the network.

const CACHE = "innerdesk-shell-v2";
const RELAY_PATHS = ["/api/", "/sync", "/metrics", "/healthz"];
const SHELL = "./";
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const relay = RELAY_PATHS.some((path) => url.pathname.startsWith(path));
  if (request.method !== "GET" || url.origin !== self.location.origin || relay) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  } else {
    event.respondWith(cacheFirst(request));
  }
});

async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "no-cache" });
  if (!response.ok) throw new Error(`shell fetch failed: ${response.status}`);
  const html = await response.clone().text();
  await cache.put(SHELL, response);
  const assets = new Set(["manifest.webmanifest", "icon.svg", "icon-192.png", "icon-512.png"]);
  for (const match of html.matchAll(/(?:href|src|from)\s*=?\s*["']([^"']+\.(?:js|wasm|css|png|svg|webmanifest))["']/g)) {
    assets.add(match[1]);
  }
  for (const match of html.matchAll(/["']([^"'\s]+\.(?:js|wasm))["']/g)) {
    assets.add(match[1]);
  }
  await cache.addAll([...assets].map((a) => new URL(a, self.registration.scope).href));
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok) cache.put(SHELL, response.clone());
    return response;
  } catch (_) {
    return (await cache.match(SHELL)) || Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
