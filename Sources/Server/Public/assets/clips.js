// Clips: "mark in" and "mark out" at the moment on screen, then a link to the MP4 of that span. The live
// viewer marks wall-clock moments (`/live/{c}/clip.mp4?from=ISO&to=ISO`), an archived sitting marks offsets
// into its recording (`/archive/{s}/clip.mp4?from=SECONDS&to=SECONDS`). The server cuts at keyframes.
import { t } from "./i18n.js";
import { element } from "./panels.js";

/** Builds the clip controls into `box` (the page's `#clips`): the buttons `#mark-in` and `#mark-out`, the
 * text `#clip-range` and the link `#clip-link`, labelled with `data-i18n` so a change of language relabels
 * them. `now()`: the moment on screen (a number: ms or seconds) or null; `href(from, to)`: the clip's URL;
 * `format(value)`: a moment as people read it; `length(from, to)`: seconds between two moments. */
export function setupClips({ now, href, format, length, box = document.getElementById("clips") }) {
  const marks = { from: null, to: null };
  const range = element("span", { id: "clip-range", class: "status-line", "aria-live": "polite" });
  const link = element("a", { id: "clip-link", class: "button", download: true, hidden: true, "data-i18n": "clipDownload" }, t("clipDownload"));

  function render() {
    const parts = [];
    if (marks.from !== null) parts.push(format(marks.from));
    parts.push("–");
    if (marks.to !== null) parts.push(format(marks.to));
    const both = marks.from !== null && marks.to !== null;
    const valid = both && marks.to > marks.from;
    range.textContent = marks.from === null && marks.to === null ? "" : both && !valid ? t("clipOrder")
      : `${parts.join(" ")}${valid ? ` (${Math.round(length(marks.from, marks.to))} s)` : ""}`;
    link.hidden = !valid;
    if (valid) link.href = href(marks.from, marks.to); else link.removeAttribute("href");
  }

  function mark(which) {
    const value = now();
    if (value === null || value === undefined || Number.isNaN(value)) { range.textContent = t("clipNothing"); return; }
    marks[which] = value;
    render();
  }

  box.replaceChildren(
    element("button", { type: "button", id: "mark-in", "data-i18n": "markIn", onclick: () => mark("from") }, t("markIn")),
    element("button", { type: "button", id: "mark-out", "data-i18n": "markOut", onclick: () => mark("to") }, t("markOut")),
    range, link);
  render();
  return { marks, render };
}
