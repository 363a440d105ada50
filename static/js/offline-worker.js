// Pillars' service worker: one job. A page opened while the network is down gets a plain
// "you are offline" page instead of the browser's error (issue 11, item 2). Only that page is
// cached (it names no one); every other request goes to the network untouched.
const CACHE = "pillars-offline-v1";
const OFFLINE_URL = "/rounds/offline/";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.add(new Request(OFFLINE_URL, {credentials: "omit"}))));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  if (event.request.mode !== "navigate") return;
  event.respondWith(
    fetch(event.request).catch(() => caches.open(CACHE).then((cache) => cache.match(OFFLINE_URL))),
  );
});
