// The channel's state as the relay's snapshot describes it, kept current by events: one reducer for every page.

/** A fresh state, or one from a snapshot's `state`. */
export function stateFrom(snapshot = {}) {
  return {
    sitting: snapshot.sitting ?? null, agenda: snapshot.agenda ?? [], currentItem: snapshot.currentItem ?? null,
    speaker: snapshot.speaker ?? null, openVote: snapshot.openVote ?? null, lastVote: snapshot.lastVote ?? null,
  };
}

/** Applies `event` to `state` in place, as the server's ChannelState does. */
export function applyEvent(state, event) {
  const data = event.data;
  switch (event.type) {
    case "sitting.started":
      Object.assign(state, stateFrom({ lastVote: state.lastVote }));
      state.sitting = { id: event.sitting, title: data.title, chamber: data.chamber, number: data.number, status: "open", startedAt: event.at };
      break;
    case "sitting.suspended": if (state.sitting) state.sitting.status = "suspended"; break;
    case "sitting.resumed": if (state.sitting) state.sitting.status = "open"; break;
    case "sitting.ended":
      if (state.sitting) state.sitting.status = "ended";
      state.openVote = null;
      state.speaker = null;
      break;
    case "agenda.set":
      state.agenda = data.items;
      if (!data.items.some((item) => item.id === state.currentItem)) state.currentItem = null;
      break;
    case "agenda.item": state.currentItem = data.itemId; break;
    case "speaker.changed": state.speaker = data; break;
    case "vote.opened": state.openVote = { yes: 0, no: 0, abstain: 0, notVoting: 0, ...data }; break;
    case "vote.tally": if (state.openVote) Object.assign(state.openVote, data); break;
    case "vote.closed": state.lastVote = { ...(state.openVote ?? {}), ...data }; state.openVote = null; break;
  }
}
