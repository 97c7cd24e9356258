// The embeddable player for other agencies' pages: the picture, the live state and the item under consideration.
import { EventFeed } from "./feed.js";
import { apply as label, t } from "./i18n.js";
import { LivePlayer } from "./player.js";
import { sittingStatus } from "./panels.js";
import { applyEvent, stateFrom } from "./sitting-state.js";

const channel = location.pathname.split("/")[2];
const state = stateFrom();
document.getElementById("full").href = `/watch/${channel}`;

function render() {
  const status = sittingStatus(state.sitting);
  const badge = document.getElementById("live-badge");
  badge.className = `badge ${status.className}`;
  badge.textContent = t(status.key);
  const item = state.agenda.find((entry) => entry.id === state.currentItem);
  document.getElementById("now").textContent = [state.sitting?.title, item ? `${item.number}. ${item.title}` : null].filter(Boolean).join(" — ");
}

new EventFeed(channel, {
  snapshot(snapshot) { Object.assign(state, stateFrom(snapshot)); render(); },
  event(event) { applyEvent(state, event); render(); },
}).start();
label();
render();
new LivePlayer(document.getElementById("video"), { rendition: new URLSearchParams(location.search).get("rendition") }).play(`/live/${channel}/index.m3u8`);
