// The viewer page: the live picture, the sitting's state as it changes, and the transcript in step with the
// picture (a line shows when the video reaches its start time, so a viewer behind live reads in sync).
// Agenda, speaker and vote changes also wait for the picture to reach their `at`, unless the viewer asks
// for them at once ("show progress at once", or `?events=instant`).
//
// Under the picture: the quality (auto, or a rendition by name; `?rendition=360p` forces one), the language
// (floor or interpretation; `?audio=en` by LANGUAGE, remembered), a seek bar over the sitting so far (the
// DVR playlist, in Bangkok wall-clock time) with "back to live", and clip marks. `?at=<ISO time>` (an alert's
// link) opens the picture at that moment when it is inside the rewind window, else live.
//
// Beside the agenda: alerts (alerts.js), a ☆ on each item to follow it, and words to watch for.
import { followButton, setupAlerts } from "./alerts.js";
import { setupClips } from "./clips.js";
import { EventFeed } from "./feed.js";
import { setupLanguage, onLangChange, t, formatClock, formatTime } from "./i18n.js";
import { LivePlayer } from "./player.js";
import { element, renderAgenda, renderSpeaker, renderVote, sittingStatus } from "./panels.js";
import { applyEvent, stateFrom } from "./sitting-state.js";

const channel = location.pathname.split("/")[2];
const video = document.getElementById("video");
const params = new URLSearchParams(location.search);
let waiting = false;
const player = new LivePlayer(video, {
  audio: document.getElementById("alt-audio"),
  rendition: params.get("rendition"),
  onStatus(status) { waiting = status === "waiting"; renderBehind(); },
  onChange: renderChoices,
});
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
  renderAgenda(document.getElementById("agenda"), state.agenda, state.currentItem, null, followButton);
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
  // Rewound on purpose: the picture decides, however far behind it is.
  if (player.rewound) return at <= onScreen.getTime();
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
  if (event.type === "sitting.started" || event.type === "sitting.ended") player.refreshDvrRange();
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

// --- quality and language -------------------------------------------------------------------------------
const quality = document.getElementById("quality");
const audioTrack = document.getElementById("audio-track");
let preselected = false;

function pictureLabel(variant) {
  const height = variant.height ? `${variant.height}p` : "";
  if (variant.name === "source") return `${t("source")}${height ? ` (${height})` : ""}`;
  if (variant.name === "hevc") return `HEVC${height ? ` ${height}` : ""}`;
  return variant.name || height;
}

/** The choices the stream offers: a quality list once there are two pictures, a language list once there
 * are two audio renditions. The first time the languages are known, `?audio=` or the remembered one. */
function renderChoices() {
  const pictures = player.pictures();
  document.getElementById("quality-box").hidden = pictures.length < 2;
  const options = [["", t("auto")], ...pictures.map((v) => [v.name, pictureLabel(v)])];
  quality.replaceChildren(...options.map(([value, label]) => element("option", { value }, label)));
  quality.value = player.rendition && pictures.some((v) => v.name === player.rendition) ? player.rendition : "";

  const tracks = player.audioTracks;
  document.getElementById("audio-track-box").hidden = tracks.length < 2;
  audioTrack.replaceChildren(...tracks.map((track, index) => element("option", { value: String(index), lang: track.language ?? undefined }, track.name)));
  const current = tracks.findIndex((track) => (track.uri ?? null) === (player.track?.uri ?? null));
  audioTrack.value = String(Math.max(0, current));
  if (!preselected && tracks.length >= 2) {
    preselected = true;
    const wanted = params.get("audio") ?? localStorage.getItem("senate-live-audio");
    const track = wanted ? tracks.find((entry) => entry.language === wanted || entry.name === wanted) : null;
    if (track && track.uri) player.setAudioTrack(track);
  }
}

quality.addEventListener("change", () => player.setRendition(quality.value || null));
audioTrack.addEventListener("change", () => {
  const track = player.audioTracks[Number(audioTrack.value)];
  if (!track) return;
  localStorage.setItem("senate-live-audio", track.language ?? track.name);
  player.setAudioTrack(track, { unmute: true }); // a choice of language is a wish to hear it
});

// --- rewind while live ----------------------------------------------------------------------------------
const seekBar = document.getElementById("dvr-seek");
let dragging = false, range = null;
// `?at=`: sought once, when the DVR span and the live picture are known.
let openAt = Date.parse(params.get("at") ?? "");

/** Keeps the seek bar over the DVR playlist's span (start → now), its thumb on the moment on screen. */
async function renderDvr() {
  range = await player.dvrRange();
  const box = document.getElementById("dvr");
  box.hidden = !range;
  if (!range) return;
  seekBar.max = String(Math.max(1, Math.floor((range.end - range.start) / 1000)));
  const onScreen = player.programDateTime();
  if (Number.isFinite(openAt) && onScreen) {
    const at = openAt;
    openAt = NaN;
    // Inside the window: rewound there (seekTo stays live for a moment within seconds of the edge).
    if (at >= range.start && at <= range.end) { seekTo(at); return; }
  }
  if (!dragging && onScreen) seekBar.value = String(Math.round((onScreen.getTime() - range.start) / 1000));
  document.getElementById("dvr-start").textContent = formatTime(range.start);
  if (!dragging) document.getElementById("dvr-position").textContent = onScreen ? formatClock(onScreen) : "";
  seekBar.setAttribute("aria-valuetext", onScreen ? formatClock(onScreen) : "");
  document.getElementById("go-live").hidden = !player.rewound;
}

/** Plays the moment `wall` (ms) of the sitting: rewound, or live when it is the live edge. */
async function seekTo(wall) {
  await player.seekTo(wall);
  releaseDue();
  renderDvr();
}

function goLive() {
  player.goLive();
  releaseDue();
  renderDvr();
}

seekBar.addEventListener("input", () => {
  dragging = true;
  if (range) document.getElementById("dvr-position").textContent = formatClock(range.start + Number(seekBar.value) * 1000);
});
seekBar.addEventListener("change", () => {
  dragging = false;
  if (!range) return;
  const value = Number(seekBar.value);
  if (value >= Number(seekBar.max) - 3) goLive(); else seekTo(range.start + value * 1000);
});
seekBar.addEventListener("keydown", (key) => {
  // Arrows step ten seconds (the browser's own step of one would barely move a sitting of hours).
  if (!range || (key.key !== "ArrowLeft" && key.key !== "ArrowRight")) return;
  key.preventDefault();
  const onScreen = player.programDateTime()?.getTime() ?? Date.now();
  seekTo(Math.max(range.start, onScreen + (key.key === "ArrowLeft" ? -10_000 : 10_000)));
});
document.getElementById("go-live").addEventListener("click", goLive);

// --- clips ----------------------------------------------------------------------------------------------
const clips = setupClips({
  now: () => player.programDateTime()?.getTime() ?? null,
  href: (from, to) => `/live/${channel}/clip.mp4?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
  format: formatClock,
  length: (from, to) => (to - from) / 1000,
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
  renderChoices();
  renderDvr();
  clips.render();
  document.getElementById("audio-toggle").textContent = audioOnly ? t("video") : t("audioOnly");
});
render();
setupAlerts({ channel, box: document.getElementById("alerts") });
player.play(`/live/${channel}/index.m3u8`);
feed.start();
setInterval(renderTranscript, 500);
setInterval(() => { releaseDue(); renderBehind(); }, 100);
setInterval(renderDvr, 500);
window.senateLive = { state, player, feed, seekTo, goLive, clips }; // for tests and the curious
