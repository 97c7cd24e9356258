// Web Push alerts for what a viewer follows: a bill or an agenda item (the ☆ button on each item; an item
// with a bill follows the bill, which comes back sitting after sitting) and words said in the chamber. The
// follow set lives in this browser (localStorage `senate-live-follow`: {billIds, itemIds, tags, keywords});
// every change sends the whole set with the browser's push subscription to the server, which replaces what
// it kept (`POST /api/v1/push/subscriptions`); an empty set removes the subscription (`DELETE`). The service
// worker (`/sw.js`) shows the alerts and opens the viewer at that moment when one is clicked.
//
// For tests and for people: `#alerts-status[data-state]` is `unsupported`, `ready` (worker registered, no
// alerts on), `subscribing`, `subscribed`, `denied` or `error`; `<html data-push-step>` is the last step
// reached: `registered`, `permission`, `subscribe-called`, `stored`, `removed`.
import { element } from "./panels.js";
import { apply, t, currentLang, onLangChange } from "./i18n.js";

const STORE = "senate-live-follow";
const SENT = "senate-live-follow-sent"; // the last body the server accepted: a reload with nothing new sends nothing
const API = "/api/v1/push/subscriptions";
const MAX_KEYWORDS = 20;
const MAX_KEYWORD = 64; // characters (grapheme clusters, as the server counts them)
const LISTS = ["billIds", "itemIds", "tags"];
// A browser whose push service cannot be reached (no network to it, a build without one: headless Chromium)
// may leave pushManager.subscribe pending for minutes: past this it is an error, and a late answer syncs.
const SUBSCRIBE_TIMEOUT = 10_000;

let follow = load();
let options = null;       // {channel, box, lang()} from setupAlerts
let registration = null;  // set once the worker is active and the server offers alerts: syncing may start
let changedEarly = false; // a change made before that: synced as soon as it is
let state = null, reason = null;
let keyPromise = null;
let running = null, rerun = false, retryTimer = null;
let subscribing = null;   // a pushManager.subscribe still pending after its timeout: waited for again, not repeated
const titles = new Map(); // "billIds:<id>" → a title seen on the page, for the list of what is followed

// --- the follow set -------------------------------------------------------------------------------------

function load() {
  let stored = null;
  try { stored = JSON.parse(localStorage.getItem(STORE) ?? "null"); } catch { /* unreadable: start empty */ }
  const list = (value) => (Array.isArray(value) ? [...new Set(value.filter((entry) => typeof entry === "string" && entry))] : []);
  return { billIds: list(stored?.billIds), itemIds: list(stored?.itemIds), tags: list(stored?.tags), keywords: list(stored?.keywords) };
}

function save() {
  try { localStorage.setItem(STORE, JSON.stringify(follow)); } catch { /* private mode: this page only */ }
}

function isEmpty(set) { return [...LISTS, "keywords"].every((name) => set[name].length === 0); }

/** What following `item` means: its bill when it has one, else the item itself. */
function target(item) { return item.billId ? { list: "billIds", id: item.billId } : { list: "itemIds", id: item.id }; }

function changed() {
  save();
  paintAll();
  if (registration) scheduleSync(); else changedEarly = true;
}

function toggle(list, id) {
  const at = follow[list].indexOf(id);
  if (at >= 0) follow[list].splice(at, 1); else follow[list].push(id);
  changed();
}

/** The follow toggle for one agenda item (`renderAgenda`'s decorator): `button.follow[data-follow-item]`. */
export function followButton(item) {
  const { list, id } = target(item);
  if (item.title) titles.set(`${list}:${id}`, item.title);
  const button = element("button", {
    type: "button", class: "follow", "data-follow-item": item.id, "data-follow-list": list, "data-follow-id": id,
    onclick: () => toggle(list, id),
  });
  paintButton(button);
  queueChips();
  return button;
}

function paintButton(button) {
  const on = follow[button.dataset.followList]?.includes(button.dataset.followId) ?? false;
  button.setAttribute("aria-pressed", String(on));
  button.textContent = t(on ? "following" : "follow");
}

function paintAll() {
  for (const button of document.querySelectorAll("button.follow[data-follow-list]")) paintButton(button);
  renderChips();
}

let chipsQueued = false;
function queueChips() {
  if (chipsQueued) return;
  chipsQueued = true;
  queueMicrotask(() => { chipsQueued = false; renderChips(); });
}

/** What is followed, each with a button to stop: `#alert-follows li[data-follow-list][data-follow-id]` and
 * `#alert-keywords li[data-keyword]`. */
function renderChips() {
  const box = options?.box;
  if (!box) return;
  const remove = (label, onclick) => element("button", { type: "button", class: "remove", "aria-label": `${t("removeFollow")}: ${label}`, onclick }, "×");
  const follows = box.querySelector("#alert-follows");
  if (follows) {
    const words = { billIds: "bill", itemIds: "item", tags: "tag" };
    follows.replaceChildren(...LISTS.flatMap((list) => follow[list].map((id) => {
      const label = titles.get(`${list}:${id}`) ?? `${t(words[list])} ${id}`;
      return element("li", { "data-follow-list": list, "data-follow-id": id }, element("span", {}, label), remove(label, () => toggle(list, id)));
    })));
    follows.hidden = follows.childElementCount === 0;
  }
  const keywords = box.querySelector("#alert-keywords");
  if (keywords) {
    keywords.replaceChildren(...follow.keywords.map((keyword) => element("li", { "data-keyword": keyword }, element("span", {}, keyword),
      remove(keyword, () => { follow.keywords = follow.keywords.filter((known) => known !== keyword); changed(); }))));
    keywords.hidden = follow.keywords.length === 0;
  }
}

/** Characters as a reader counts them (a Thai consonant with its vowel and tone marks is one). */
function characters(text) {
  if (typeof Intl !== "undefined" && Intl.Segmenter) return [...new Intl.Segmenter().segment(text)].length;
  return [...text].length;
}

/** Adds a keyword from the box: trimmed, 1–64 characters, at most 20; one already followed (in any case) is
 * ignored. Returns whether the box may be cleared. */
function addKeyword(raw) {
  const keyword = raw.normalize("NFC").trim().replace(/\s+/gu, " ");
  const length = characters(keyword);
  if (length < 1 || length > MAX_KEYWORD) return keywordError(t("keywordLength"));
  const folded = keyword.toLocaleLowerCase();
  if (follow.keywords.some((known) => known.toLocaleLowerCase() === folded)) return keywordError("", true);
  if (follow.keywords.length >= MAX_KEYWORDS) return keywordError(t("keywordTooMany"));
  follow.keywords.push(keyword);
  keywordError("");
  changed();
  return true;
}

function keywordError(text, accepted = false) {
  const box = options?.box?.querySelector("#alert-keyword-error");
  if (box) { box.textContent = text; box.hidden = !text; }
  options?.box?.querySelector("#alert-keyword")?.setAttribute("aria-invalid", String(Boolean(text)));
  return accepted || !text;
}

// --- status ---------------------------------------------------------------------------------------------

/** `detail`: a text shown as it is (a server's message, an exception), or {key} of a text in i18n.js. */
function setState(next, detail = null) {
  state = next;
  reason = detail;
  const status = options?.box?.querySelector("#alerts-status") ?? document.getElementById("alerts-status");
  if (status) {
    if (next) status.dataset.state = next; else delete status.dataset.state;
    status.textContent = message();
  }
  const enable = options?.box?.querySelector("#alerts-enable");
  if (enable) enable.hidden = !(registration && !isEmpty(follow) && (next === "ready" || next === "error"));
}

function message() {
  const detail = reason && typeof reason === "object" ? t(reason.key) : reason;
  switch (state) {
    case "unsupported": return detail || t("alertsUnsupported");
    case "ready": return isEmpty(follow) ? t("alertsReady") : t("alertsNeedPermission");
    case "subscribing": return t("alertsSubscribing");
    case "subscribed": return t("alertsSubscribed");
    case "denied": return t("alertsDenied");
    case "error": return t("alertsError").replace("{reason}", detail ?? "");
    default: return t("alertsWaiting");
  }
}

function step(name) { document.documentElement.dataset.pushStep = name; }

function describe(error) { return error?.server ? error.message : `${error?.name ?? "Error"}: ${error?.message ?? error}`; }

// --- the server and the push service --------------------------------------------------------------------

/** The server's `{"error": {code, message}}` as an Error (`server`, `code`, `status`, `retryAfter` seconds). */
async function serverError(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  const error = new Error(body?.error?.message ?? `HTTP ${response.status}`);
  Object.assign(error, { server: true, code: body?.error?.code ?? null, status: response.status });
  const retry = Number(response.headers.get("Retry-After"));
  if (retry > 0) error.retryAfter = retry;
  return error;
}

/** The server's VAPID public key (base64url), asked once; a failure is asked again next time. */
function publicKey() {
  if (!keyPromise) {
    keyPromise = (async () => {
      const response = await fetch("/api/v1/push/key", { cache: "no-store" });
      if (!response.ok) throw await serverError(response);
      return (await response.json()).publicKey;
    })();
    keyPromise.catch(() => { keyPromise = null; });
  }
  return keyPromise;
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
}

/** Whether `subscription` was made with `key` (one made with an older server key can no longer be sent to). */
function sameKey(subscription, key) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true;
  const wanted = keyBytes(key), bytes = new Uint8Array(current);
  return bytes.length === wanted.length && bytes.every((byte, i) => byte === wanted[i]);
}

function permission() {
  // Older Safari takes a callback and returns nothing.
  return new Promise((resolve) => {
    const answer = Notification.requestPermission(resolve);
    if (answer) answer.then(resolve, () => resolve(Notification.permission));
  });
}

function sent(body) {
  try {
    if (body === undefined) return localStorage.getItem(SENT);
    if (body === null) localStorage.removeItem(SENT); else localStorage.setItem(SENT, body);
  } catch { /* private mode */ }
  return null;
}

/** One pass: the whole follow set to the server, or the subscription removed when the set is empty. */
async function syncOnce(onLoad) {
  const set = { billIds: [...follow.billIds], itemIds: [...follow.itemIds], tags: [...follow.tags], keywords: [...follow.keywords] };
  if (isEmpty(set)) return unsubscribe();
  setState("subscribing"); // before any await: the permission prompt still counts as the click's
  if (await permission() !== "granted") { setState("denied"); return; }
  step("permission");
  const key = await publicKey();
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  if (!subscription) {
    step("subscribe-called");
    subscription = await subscribe(key);
  }
  const body = JSON.stringify({ subscription: subscription.toJSON(), follow: { channels: [options.channel], ...set }, lang: options.lang() });
  if (!(onLoad && sent() === body)) {
    const response = await fetch(API, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    if (!response.ok) throw await serverError(response);
    sent(body);
  }
  step("stored");
  setState("subscribed");
}

/** pushManager.subscribe, given up on (TimeoutError) after SUBSCRIBE_TIMEOUT; should it answer later after
 * all, the set is sent then. */
function subscribe(key) {
  if (!subscribing) {
    const pending = registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    subscribing = pending;
    pending.then(() => {
      if (subscribing !== pending) return;
      subscribing = null;
      if (late) scheduleSync();
    }, () => { if (subscribing === pending) subscribing = null; });
  }
  let late = false, timer = null;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => { late = true; reject(new DOMException("the browser's push service did not answer", "TimeoutError")); }, SUBSCRIBE_TIMEOUT);
  });
  return Promise.race([subscribing, timeout]).finally(() => clearTimeout(timer));
}

async function unsubscribe() {
  const subscription = await registration.pushManager.getSubscription();
  if (subscription) {
    const response = await fetch(API, { method: "DELETE", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ endpoint: subscription.endpoint }) });
    if (!response.ok && response.status !== 404) throw await serverError(response); // 404: the server had forgotten it
    await subscription.unsubscribe();
    sent(null);
    step("removed");
  }
  setState("ready");
}

/** Runs a sync, one at a time: changes made meanwhile are sent by one more pass with the set as it is then. */
function scheduleSync(onLoad = false) {
  if (!registration) return;
  if (running) { rerun = true; return; }
  clearTimeout(retryTimer);
  running = (async () => {
    let first = true;
    do {
      rerun = false;
      try {
        await syncOnce(onLoad && first);
      } catch (error) {
        setState("error", describe(error));
        // Too many changes at once (429): try again when the server says it may be.
        if (error?.retryAfter && !rerun) retryTimer = setTimeout(() => scheduleSync(), Math.min(error.retryAfter, 300) * 1000);
      }
      first = false;
    } while (rerun);
    running = null;
  })();
}

// --- the panel ------------------------------------------------------------------------------------------

/** The alerts panel's contents, the same on every page that has one (filled into an empty `box`). */
const PANEL = `
  <h2 id="alerts-heading" data-i18n="alerts">แจ้งเตือน</h2>
  <p class="hint" data-i18n="alertsHelp">กด ☆ ที่วาระเพื่อติดตามร่างกฎหมายหรือวาระนั้น หรือเพิ่มคำที่สนใจ แล้วรับการแจ้งเตือนเมื่อมีการพิจารณา ผลการลงมติ หรือมีผู้กล่าวถึง</p>
  <ul id="alert-follows" class="chips" data-i18n-label="followed" aria-label="เรื่องที่ติดตาม" hidden></ul>
  <form id="alert-keyword-form" class="keyword-form">
    <label for="alert-keyword" data-i18n="alertKeyword">คำที่สนใจ</label>
    <span class="keyword-row">
      <input type="text" id="alert-keyword" autocomplete="off" enterkeyhint="done" aria-describedby="alert-keyword-error">
      <button type="submit" id="alert-keyword-add" data-i18n="addKeyword">เพิ่ม</button>
    </span>
  </form>
  <p id="alert-keyword-error" role="alert" hidden></p>
  <ul id="alert-keywords" class="chips" data-i18n-label="keywords" aria-label="คำที่ติดตาม" hidden></ul>
  <p id="alerts-status" class="status-line" role="status" aria-live="polite"></p>
  <button type="button" id="alerts-enable" class="primary" data-i18n="alertsEnable" hidden>เปิดการแจ้งเตือน</button>
`;

/** Wires the alerts panel `box` (`#alert-keyword`, `#alert-keyword-add`, `#alert-keywords`, `#alert-follows`,
 * `#alerts-status`, `#alerts-enable`) for `channel`; `lang`: the alerts' language, a function or a text
 * (default: the page's language, followed when it changes). Registers the service worker. */
export async function setupAlerts({ channel, box, lang } = {}) {
  if (box && !box.children.length) {
    box.innerHTML = PANEL;
    apply(box);
  }
  options = { channel, box: box ?? null, lang: typeof lang === "function" ? lang : lang ? () => lang : currentLang };
  const form = box?.querySelector("#alert-keyword-form");
  const input = box?.querySelector("#alert-keyword");
  const add = () => { if (input && addKeyword(input.value)) input.value = ""; };
  if (form) form.addEventListener("submit", (submit) => { submit.preventDefault(); add(); });
  else box?.querySelector("#alert-keyword-add")?.addEventListener("click", add);
  box?.querySelector("#alerts-enable")?.addEventListener("click", () => scheduleSync());
  onLangChange(() => {
    paintAll();
    setState(state, reason);
    if (state === "subscribed") scheduleSync(); // alerts in the language now chosen
  });
  paintAll();
  setState(null);

  if (!("serviceWorker" in navigator && "PushManager" in window && "Notification" in window)) {
    setState("unsupported"); // also any page not in a secure context (http other than localhost)
    return;
  }
  let active;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    active = await navigator.serviceWorker.ready;
    step("registered");
  } catch (error) {
    setState("error", describe(error));
    return;
  }
  try {
    await publicKey();
  } catch (error) {
    if (error?.code === "push_disabled" || error?.status === 404) { setState("unsupported", { key: "alertsOff" }); return; }
    // Anything else (the network): reported if it is still so when alerts are turned on.
  }
  registration = active;
  if (changedEarly) scheduleSync();
  else if (isEmpty(follow)) setState("ready");
  else if (Notification.permission === "granted") scheduleSync(true);
  else setState(Notification.permission === "denied" ? "denied" : "ready");
}
