// Rendering shared by the viewer, the embed and the console: agenda, speaker, vote.
import { t } from "./i18n.js";

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** The agenda as a list, the current item marked with aria-current; `onPick(item)` makes items buttons;
 * `decorate(item)` may return a node to put after each item's label (the follow button of alerts.js). */
export function renderAgenda(list, agenda, currentItem, onPick, decorate) {
  list.replaceChildren(...agenda.map((item) => {
    const label = `${item.number}. ${item.title}`;
    const content = onPick ? element("button", { type: "button", onclick: () => onPick(item) }, label) : element("span", { class: "agenda-label" }, label);
    return element("li", { "data-item": item.id, "aria-current": item.id === currentItem ? "true" : "false" }, content, decorate?.(item));
  }));
}

export function renderSpeaker(target, speaker) {
  if (!speaker) { target.textContent = t("noSpeaker"); return; }
  const extra = [speaker.role, speaker.party].filter(Boolean).join(" · ");
  target.replaceChildren(element("span", { class: "speaker-name" }, speaker.name), extra ? ` — ${extra}` : "");
}

/** The open vote's running tally, or the last result with each member's vote. */
export function renderVote(target, openVote, lastVote) {
  const vote = openVote ?? lastVote;
  if (!vote) { target.replaceChildren(element("p", {}, t("none"))); return; }
  const counts = element("div", { class: "tally" }, ...["yes", "no", "abstain", "notVoting"].map((key) =>
    element("div", { "data-count": key }, element("strong", {}, String(vote[key] ?? 0)), t(key))));
  const head = element("p", {}, element("strong", {}, vote.motion ?? ""), " ");
  const parts = [head, counts];
  if (openVote) {
    head.append(element("span", { class: "badge live" }, t("voteOpen")));
  } else {
    parts.push(element("p", { class: `result ${vote.result}`, "data-result": vote.result }, `${t("result")}: ${t(vote.result)}`));
    if (vote.records?.length) {
      parts.push(element("details", { open: true }, element("summary", {}, `${t("records")} (${vote.records.length})`),
        element("ul", { class: "records" }, ...vote.records.map((record) => element("li", { "data-vote": record.vote }, `${record.name}: ${t(record.vote)}`)))));
    }
  }
  target.replaceChildren(...parts);
}

/** A sitting's status as a badge class and text key. */
export function sittingStatus(sitting) {
  if (!sitting) return { className: "", key: "noSitting" };
  if (sitting.status === "suspended") return { className: "suspended", key: "suspended" };
  if (sitting.status === "ended") return { className: "", key: "ended" };
  return { className: "live", key: "live" };
}
