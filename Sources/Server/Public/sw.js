// SenateLive's service worker: shows the Web Push alerts the server sends for what a viewer follows (an item
// taken up, a vote's result, a keyword said) and opens the viewer at that moment when one is clicked. Served
// from the site's root (`/sw.js`, scope `/`) and revalidated on every load; it caches nothing.

// A new version takes over at once: there is no cached state an old page could depend on.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The payload is JSON {title, body, url, tag, lang, channel, seq, type}; anything else shows as plain text.
self.addEventListener("push", (event) => {
  let message = {};
  if (event.data) {
    try {
      message = event.data.json() ?? {};
    } catch {
      message = { body: event.data.text() };
    }
  }
  const title = typeof message.title === "string" && message.title ? message.title : "SenateLive";
  event.waitUntil(self.registration.showNotification(title, {
    body: typeof message.body === "string" ? message.body : "",
    tag: message.tag || undefined, // one notification per event: a repeat replaces it
    lang: message.lang || undefined,
    data: { url: sameOrigin(message.url) },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(show(sameOrigin(event.notification.data?.url)));
});

/** `url` as an absolute URL on this site; anything else (missing, another site) is the home page. */
function sameOrigin(url) {
  try {
    const parsed = new URL(url ?? "/", self.location.origin);
    return parsed.origin === self.location.origin ? parsed.href : new URL("/", self.location.origin).href;
  } catch {
    return new URL("/", self.location.origin).href;
  }
}

/** Focuses a window already at `url`; else moves a viewer window of this site there (one on the same page
 * first, never an operator's console); else opens a new window. */
async function show(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const exact = windows.find((client) => client.url === url);
  if (exact) return exact.focus();
  const path = new URL(url).pathname;
  const candidates = windows
    .filter((client) => { const at = new URL(client.url); return at.origin === self.location.origin && !at.pathname.startsWith("/console/"); })
    .sort((a, b) => Number(new URL(b.url).pathname === path) - Number(new URL(a.url).pathname === path));
  for (const client of candidates) {
    try {
      const moved = await client.navigate(url); // only a window this worker controls can be moved
      if (moved) return moved.focus();
    } catch { /* not controlled by this worker: try the next */ }
  }
  return self.clients.openWindow(url);
}
