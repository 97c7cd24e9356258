// The viewer page: the live picture, the sitting's state as it changes, and the transcript in step with the
// picture (a line shows when the video reaches its start time, so a viewer behind live reads in sync).
// Agenda, speaker and vote changes also wait for the picture to reach their `at`, unless the viewer asks
// for them at once ("show progress at once", or `?events=instant`).
import { EventFeed } from "./feed.js";
import { setupLanguage, onLangChange, t } from "./i18n.js";
import { LivePlayer } from "./player.js";
import { element, renderAgenda, renderSpeaker, renderVote, sittingStatus } from "./panels.js";
import { applyEvent, stateFrom } from "./sitting-state.js";

const channel = location.pathname.split("/")[2];
const video = document.getElementById("video");
let waiting = false;
const player = new LivePlayer(video, { onStatus(status) { waiting = status === "waiting"; renderBehind(); } });
const state = stateFrom();
const lines = new Map(); // lineId → {data, shown}
const pending = []; // events not yet reached by the picture, in seq order
let audioOnly = false;
const instantBox = document.getElementById("instant-events");
instantBox.checked = new URLSearchParams(location.search).get("events") === "instant" || localStorage.getItem("senate-live-instant") === "1";
instantBox.addEventListener("change", () => {
  localStorage.setItem("senate-live-instant", instantBox.checked ? "1" : "0");
  releaseDue();
});

function render() {
  const status = sittingStatus(state.sitting);
  document.getElementById("title").textContent = state.sitting?.title ?? t("noSitting");
  const badge = document.getElementById("live-badge");
  badge.className = `badge ${status.className}`;
  badge.textContent = t(status.key);
  renderAgenda(document.getElementById("agenda"), state.agenda, state.currentItem);
  renderSpeaker(document.getElementById("speaker"), state.speaker);
  renderVote(document.getElementById("vote"), state.openVote, state.lastVote);
}

/** The picture on screen has reached `event` (or it should not wait: instant mode, no picture, or the
 * picture stalled far behind it). */
function isDue(event) {
  if (instantBox.checked) return true;
  const onScreen = player.programDateTime();
  const at = Date.parse(event.at);
  if (!onScreen || Number.isNaN(at)) return true;
  return at <= onScreen.getTime() || Date.now() - at > 10_000;
}

function receive(event) {
  if (event.type === "transcript.line") { apply(event); return; } // lines wait for the picture on their own
  pending.push(event);
  releaseDue();
}

function releaseDue() {
  while (pending.length && isDue(pending[0])) apply(pending.shift());
}

function renderBehind() {
  const behind = player.behindLive();
  const box = document.getElementById("behind");
  box.textContent = waiting ? t("waitingBroadcast") : behind === null ? "" : t("behind").replace("{s}", behind.toFixed(1));
}

function apply(event) {
  if (event.type === "transcript.line") {
    lines.set(event.data.lineId, { ...lines.get(event.data.lineId), data: event.data, seq: event.seq });
    renderTranscript();
    return;
  }
  if (event.type === "notice") { showNotice(event.data.text); return; }
  if (event.type === "sitting.started") {
    lines.clear();
    document.getElementById("transcript").replaceChildren();
  }
  applyEvent(state, event);
  render();
}

/** Shows each transcript line once the picture reaches its start; a final text replaces the interim one in
 * place. Only new or changed lines touch the page, so screen readers hear each line once. */
function renderTranscript() {
  const onScreen = player.programDateTime();
  const box = document.getElementById("transcript");
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
  for (const line of lines.values()) {
    const data = line.data;
    if (onScreen && new Date(data.start) > onScreen) continue;
    const text = `${data.final}|${data.speaker ?? ""}|${data.text}`;
    if (line.node && line.rendered === text) continue;
    const node = element("p", { "data-line": data.lineId, class: data.final ? "final" : "interim", lang: data.lang },
      data.speaker ? element("span", { class: "speaker-name" }, `${data.speaker}: `) : null, data.text);
    if (line.node) line.node.replaceWith(node); else box.append(node);
    line.node = node;
    line.rendered = text;
  }
  while (box.children.length > 200) box.firstElementChild.remove();
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function showNotice(text) {
  document.getElementById("notices").prepend(element("p", { class: "notice" }, text));
}

/** Recent transcript lines for someone who joins mid-sitting. */
async function loadRecentLines(seq) {
  const response = await fetch(`/api/v1/channels/${channel}/events?since=${Math.max(0, seq - 500)}&limit=500`);
  if (!response.ok) return;
  const body = await response.json();
  for (const event of body.events) {
    if (event.seq > seq) break;
    if (event.type !== "transcript.line" || event.sitting !== state.sitting?.id) continue;
    // History arrives after live events may have: never replace a newer text of the line with an older one.
    const known = lines.get(event.data.lineId);
    if (!known || (known.seq ?? 0) < event.seq) lines.set(event.data.lineId, { ...known, data: event.data, seq: event.seq });
  }
  renderTranscript();
}


const feed = new EventFeed(channel, {
  snapshot(snapshot, seq) {
    pending.length = 0; // the snapshot already holds them
    Object.assign(state, stateFrom(snapshot));
    render();
    loadRecentLines(seq);
  },
  event: receive,
  status(status) {
    document.getElementById("connection").textContent = status === "reconnecting" ? t("reconnecting") : "";
  },
});

document.getElementById("audio-toggle").addEventListener("click", (click) => {
  audioOnly = !audioOnly;
  click.currentTarget.setAttribute("aria-pressed", String(audioOnly));
  click.currentTarget.textContent = audioOnly ? t("video") : t("audioOnly");
  player.setAudioOnly(audioOnly);
});
document.getElementById("embed-code").value =
  `<iframe src="${location.origin}/embed/${channel}" width="640" height="400" allow="autoplay; fullscreen" allowfullscreen title="SenateLive ${channel}"></iframe>`;

setupLanguage();
onLangChange(() => {
  render();
  document.getElementById("audio-toggle").textContent = audioOnly ? t("video") : t("audioOnly");
});
render();
player.play(`/live/${channel}/index.m3u8`);
feed.start();
setInterval(renderTranscript, 500);
setInterval(() => { releaseDue(); renderBehind(); }, 100);
window.senateLive = { state, player, feed }; // for tests and the curious
