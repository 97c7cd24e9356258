// The operator console: every control publishes one event (or a batch) through the real API with the operator's
// token, and the page follows the channel over the WebSocket like any viewer. API errors are shown in words.
import { EventFeed } from "./feed.js";
import { setupLanguage, onLangChange, t } from "./i18n.js";
import { renderAgenda, renderVote, sittingStatus } from "./panels.js";
import { applyEvent, stateFrom } from "./sitting-state.js";

const channel = location.pathname.split("/")[2];
const state = stateFrom();
const token = document.getElementById("token");
token.value = sessionStorage.getItem(`senate-live-token-${channel}`) ?? "";
token.addEventListener("change", () => sessionStorage.setItem(`senate-live-token-${channel}`, token.value.trim()));
document.getElementById("channel-name").textContent = channel;
document.getElementById("viewer-link").href = `/watch/${channel}`;

/** POSTs events; each carries an id, so a retried click is not stored twice. Resolves to the stored events or null. */
async function publish(events) {
  const message = document.getElementById("message");
  const done = document.getElementById("done");
  message.textContent = "";
  done.textContent = "";
  if (!token.value.trim()) { message.textContent = t("needToken"); token.focus(); return null; }
  const body = events.map((event) => ({ id: crypto.randomUUID(), ...event }));
  try {
    const response = await fetch(`/api/v1/channels/${channel}/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token.value.trim()}` },
      body: JSON.stringify(body.length === 1 ? body[0] : body),
    });
    const reply = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = reply.error ?? {};
      message.textContent = `${t("error")} ${response.status}: ${error.message ?? response.statusText}${error.field ? ` (${error.field})` : ""}`;
      return null;
    }
    done.textContent = `${t("sent")}: ${events.map((event) => event.type).join(", ")}`;
    return reply;
  } catch (error) {
    message.textContent = `${t("error")}: ${error.message}`;
    return null;
  }
}

function fields(form) { return Object.fromEntries(new FormData(form).entries()); }

function onSubmit(id, handler) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const button = form.querySelector("button");
    if (button.disabled) return;
    const events = handler(fields(form), form);
    if (!events) return;
    button.disabled = true; // one request at a time: a second click must not store the event twice
    try {
      if (await publish(events) && form.dataset.keep === undefined) form.reset();
    } finally {
      button.disabled = false;
    }
  });
}

onSubmit("start-form", (f) => [{ type: "sitting.started", data: { title: f.title, chamber: f.chamber, number: Number(f.number), scheduledAt: new Date().toISOString() } }]);
for (const [id, type] of [["suspend", "sitting.suspended"], ["resume", "sitting.resumed"], ["end", "sitting.ended"]]) {
  document.getElementById(id).addEventListener("click", () => publish([{ type, data: {} }]));
}
onSubmit("agenda-form", (f) => {
  const items = f.items.split("\n").map((line) => line.split("|").map((part) => part.trim())).filter((parts) => parts[0])
    .map(([number, title, billId]) => ({ id: `item-${number}`, number, title: title || number, ...(billId ? { billId } : {}) }));
  return [{ type: "agenda.set", data: { items } }];
});
onSubmit("speaker-form", (f) => [{ type: "speaker.changed", data: Object.fromEntries(Object.entries(f).filter(([, value]) => value)) }]);
onSubmit("vote-open-form", (f) => [{ type: "vote.opened", data: { voteId: `vote-${Date.now()}`, motion: f.motion, ...(f.itemId ? { itemId: f.itemId } : {}) } }]);

function counts(f) { return { yes: Number(f.yes) || 0, no: Number(f.no) || 0, abstain: Number(f.abstain) || 0, notVoting: Number(f.notVoting) || 0 }; }

document.getElementById("vote-tally-form").dataset.keep = "";
onSubmit("vote-tally-form", (f) => [{ type: "vote.tally", data: { voteId: state.openVote?.voteId ?? "", ...counts(f) } }]);
onSubmit("vote-close-form", (f) => {
  const records = f.records.split("\n").map((line) => line.split(",").map((part) => part.trim())).filter((parts) => parts[0])
    .map(([name, vote]) => ({ name, vote: vote || "notVoting" }));
  // With member records the counts are theirs; without, the last tally stands.
  const tally = records.length ? counts(Object.fromEntries(["yes", "no", "abstain", "notVoting"].map((key) => [key, records.filter((r) => r.vote === key).length])))
    : counts(fields(document.getElementById("vote-tally-form")));
  return [{ type: "vote.closed", data: { voteId: state.openVote?.voteId ?? "", result: f.result, ...tally, records } }];
});
let lineStarted = null;
document.querySelector("#line-form textarea").addEventListener("input", () => { lineStarted ??= new Date(); });
onSubmit("line-form", (f) => {
  const end = new Date();
  const start = lineStarted ?? new Date(end.getTime() - 2000);
  lineStarted = null;
  return [{ type: "transcript.line", data: { lineId: `line-${Date.now()}`, text: f.text, lang: f.lang, start: start.toISOString(), end: end.toISOString(), final: f.final === "on", ...(f.speaker ? { speaker: f.speaker } : {}) } }];
});
document.getElementById("line-form").dataset.keep = "";
onSubmit("notice-form", (f) => [{ type: "notice", data: { text: f.text } }]);

function render() {
  const status = sittingStatus(state.sitting);
  const badge = document.getElementById("live-badge");
  badge.className = `badge ${status.className}`;
  badge.textContent = t(status.key);
  document.getElementById("sitting-state").textContent = t(state.sitting ? (state.sitting.status === "open" ? "open" : status.key) : "noSitting");
  document.getElementById("sitting-title").textContent = state.sitting?.title ?? "";
  renderAgenda(document.getElementById("agenda"), state.agenda, state.currentItem, (item) => publish([{ type: "agenda.item", data: { itemId: item.id } }]));
  renderVote(document.getElementById("vote"), state.openVote, state.lastVote);
  const select = document.getElementById("vote-item");
  const chosen = select.value || state.currentItem || "";
  select.replaceChildren(new Option(t("none"), ""), ...state.agenda.map((item) => new Option(`${item.number}. ${item.title}`, item.id)));
  select.value = state.agenda.some((item) => item.id === chosen) ? chosen : "";
}

new EventFeed(channel, {
  snapshot(snapshot) { Object.assign(state, stateFrom(snapshot)); render(); },
  event(event) { applyEvent(state, event); render(); },
}).start();
setupLanguage();
onLangChange(render);
render();
