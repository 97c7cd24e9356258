// The archive list and transcript search; a hit opens its sitting at the moment the words were said.
import { setupLanguage, onLangChange, t, formatTime, formatOffset } from "./i18n.js";
import { element } from "./panels.js";

let sittings = [];
let hits = null;

function sittingLink(sitting) {
  const status = sitting.status === "ended" ? "" : ` · ${t(sitting.status === "suspended" ? "suspended" : "liveNow")}`;
  const length = sitting.duration ? ` · ${t("duration")} ${formatOffset(sitting.duration)}` : "";
  return element("li", { "data-sitting": sitting.id },
    element("a", { href: `/archive/${sitting.id}` }, sitting.title), element("br"),
    element("small", {}, `${formatTime(sitting.startedAt)}${length}${status}`));
}

/** `text` with every occurrence of `query` marked. */
function highlighted(text, query) {
  const parts = [];
  let rest = text;
  for (let at = rest.toLowerCase().indexOf(query.toLowerCase()); query && at >= 0; at = rest.toLowerCase().indexOf(query.toLowerCase())) {
    parts.push(rest.slice(0, at), element("mark", {}, rest.slice(at, at + query.length)));
    rest = rest.slice(at + query.length);
  }
  parts.push(rest);
  return parts;
}

function render() {
  document.getElementById("sittings").replaceChildren(...sittings.map(sittingLink));
  const section = document.getElementById("results-section");
  section.hidden = hits === null;
  if (hits === null) return;
  const query = document.getElementById("q").value.trim();
  document.getElementById("results").replaceChildren(...(hits.length ? hits.map((hit) => {
    const href = hit.offset === null || hit.offset === undefined ? `/watch/${hit.channel}` : `/archive/${hit.sitting}?t=${Math.floor(hit.offset)}`;
    return element("li", { "data-hit": hit.lineId },
      element("a", { href }, hit.title, hit.offset != null ? ` — ${formatOffset(hit.offset)}` : ` — ${t("liveNow")}`), element("br"),
      element("span", { lang: hit.lang }, hit.speaker ? `${hit.speaker}: ` : "", ...highlighted(hit.text, query)));
  }) : [element("li", {}, t("noResults"))]));
}

document.getElementById("search-form").addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (!q) return;
  const response = await fetch(`/api/v1/search?q=${encodeURIComponent(q)}`);
  hits = response.ok ? (await response.json()).hits : [];
  render();
});

setupLanguage();
onLangChange(render);
const response = await fetch("/api/v1/sittings?limit=200");
sittings = response.ok ? (await response.json()).sittings : [];
const initial = new URLSearchParams(location.search).get("q");
if (initial) { document.getElementById("q").value = initial; document.getElementById("search-form").requestSubmit(); }
render();
