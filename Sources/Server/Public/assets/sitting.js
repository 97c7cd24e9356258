// One archived sitting: the recording with its agenda chapters, votes, and the transcript beside it. Clicking an
// item or a line seeks there; `?t=seconds` opens the page at that moment; the current line follows playback.
// "Mark in" / "mark out" give a link to the MP4 of that span (`clip.mp4?from=&to=`, seconds into the recording).
// A ☆ on each chapter follows its bill (or the item) for live alerts when it comes up again (alerts.js).
import { followButton, setupAlerts } from "./alerts.js";
import { setupClips } from "./clips.js";
import { setupLanguage, onLangChange, t, formatTime, formatOffset } from "./i18n.js";
import { element, renderAgenda, renderVote } from "./panels.js";

const id = decodeURIComponent(location.pathname.split("/")[2]);
const video = document.getElementById("video");
let detail = null;

function seek(seconds) {
  video.currentTime = seconds;
  video.play().catch(() => {});
}

function render() {
  if (!detail) return;
  const { sitting, agenda, votes, transcript } = detail;
  document.getElementById("title").textContent = sitting.title;
  document.title = `${sitting.title} | SenateLive`;
  const length = sitting.duration ? ` · ${t("duration")} ${formatOffset(sitting.duration)}` : "";
  document.getElementById("when").textContent = `${formatTime(sitting.startedAt)}${length}`;
  const taken = agenda.filter((item) => item.offset !== undefined && item.offset !== null);
  renderAgenda(document.getElementById("agenda"), taken.map((item) => ({ ...item, title: `${item.title} (${formatOffset(item.offset)})` })), currentChapter(), (item) => seek(item.offset),
    (item) => followButton(agenda.find((entry) => entry.id === item.id) ?? item)); // the title without its offset
  document.getElementById("votes").replaceChildren(...votes.map((vote) => {
    const box = element("div", { "data-vote-id": vote.id });
    renderVote(box, null, vote);
    return box;
  }));
  document.getElementById("transcript").replaceChildren(...transcript.map((line) => element("p", { "data-line": line.id, lang: line.lang },
    element("button", { type: "button", class: "button", onclick: () => seek(line.offset ?? 0), "aria-label": `${t("seekTo")} ${formatOffset(line.offset ?? 0)}` }, formatOffset(line.offset ?? 0)), " ",
    line.speaker ? element("span", { class: "speaker-name" }, `${line.speaker}: `) : null, line.text)));
  followPlayback();
}

function currentChapter() {
  const now = video.currentTime;
  const taken = (detail?.agenda ?? []).filter((item) => item.offset != null).sort((a, b) => a.offset - b.offset);
  return taken.filter((item) => item.offset <= now + 0.05).at(-1)?.id ?? null;
}

/** Marks the chapter and the transcript line at the playback position. */
function followPlayback() {
  if (!detail) return;
  const chapter = currentChapter();
  for (const item of document.querySelectorAll("#agenda li")) item.setAttribute("aria-current", String(item.dataset.item === chapter));
  const now = video.currentTime;
  for (const line of detail.transcript) {
    const node = document.querySelector(`#transcript p[data-line="${CSS.escape(line.id)}"]`);
    const end = (line.offset ?? 0) + (new Date(line.end) - new Date(line.start)) / 1000;
    node?.setAttribute("aria-current", String(line.offset != null && now >= line.offset && now < Math.max(end, line.offset + 0.5)));
  }
}

document.getElementById("link-here").addEventListener("click", async () => {
  const url = `${location.origin}/archive/${id}?t=${Math.floor(video.currentTime)}`;
  history.replaceState(null, "", `?t=${Math.floor(video.currentTime)}`);
  try { await navigator.clipboard.writeText(url); document.getElementById("copied").textContent = t("copied"); } catch { document.getElementById("copied").textContent = url; }
});
video.addEventListener("timeupdate", followPlayback);
const clips = setupClips({
  now: () => (video.readyState >= 1 ? video.currentTime : null),
  href: (from, to) => `/archive/${encodeURIComponent(id)}/clip.mp4?from=${Math.floor(from)}&to=${Math.ceil(to)}`,
  format: formatOffset,
  length: (from, to) => Math.ceil(to) - Math.floor(from),
});
window.senateSitting = { video, clips }; // for tests
setupLanguage();
onLangChange(() => { render(); clips.render(); });

const response = await fetch(`/api/v1/sittings/${encodeURIComponent(id)}`);
if (response.ok) {
  detail = await response.json();
  const links = detail.sitting.links;
  // The MP4 plays everywhere and carries the chapters; the VOD playlist serves until it is written.
  video.src = links.recording ?? links.playlist ?? links.live ?? "";
  if (links.transcript) video.append(element("track", { kind: "captions", src: links.transcript, srclang: "th", label: "ไทย", default: true }));
  const download = document.getElementById("download");
  if (links.recording) download.href = links.recording; else download.hidden = true;
  const start = Number(new URLSearchParams(location.search).get("t"));
  if (start > 0) video.addEventListener("loadedmetadata", () => { video.currentTime = start; }, { once: true });
  render();
  setupAlerts({ channel: detail.sitting.channel, box: document.getElementById("alerts") });
} else {
  document.getElementById("title").textContent = t("noResults");
  document.getElementById("alerts").hidden = true;
}
