// The channel's state as the relay's snapshot describes it, kept current by events: one reducer for every page.
// It must end where the server's ChannelState does, so a viewer who watched live and one who joined later
// (and got the snapshot) see the same thing: Tests/Fixtures/sitting-state.json holds both to the same answers.

const TALLY = ["yes", "no", "abstain", "notVoting"];

/** The `keys` of `source` that it has and that are not null: the server keeps only the fields it knows
 * (its payloads are typed, optional fields left out when absent), so an extra key a publisher sent never
 * reaches its snapshot, and must not reach a live page either. */
function pick(source, keys) {
  const picked = {};
  for (const key of keys) if (source?.[key] !== undefined && source[key] !== null) picked[key] = source[key];
  return picked;
}

/** A fresh state, or one from a snapshot's `state`. */
export function stateFrom(snapshot = {}) {
  return {
    sitting: snapshot.sitting ?? null, agenda: snapshot.agenda ?? [], currentItem: snapshot.currentItem ?? null,
    speaker: snapshot.speaker ?? null, openVote: snapshot.openVote ?? null, lastVote: snapshot.lastVote ?? null,
  };
}

/** Applies `event` (one the server accepted) to `state` in place, as the server's ChannelState does. Nested
 * values are replaced, never changed in place: they may be shared with a snapshot or an event. */
export function applyEvent(state, event) {
  const data = event.data;
  switch (event.type) {
    case "sitting.started":
      // A new sitting starts empty, but the last result stays on screen until the next vote closes.
      Object.assign(state, stateFrom({ lastVote: state.lastVote }));
      state.sitting = {
        id: event.sitting, title: data.title, chamber: data.chamber, number: data.number,
        scheduledAt: data.scheduledAt, startedAt: event.at, status: "open",
      };
      break;
    case "sitting.suspended": if (state.sitting) state.sitting = { ...state.sitting, status: "suspended" }; break;
    case "sitting.resumed": if (state.sitting) state.sitting = { ...state.sitting, status: "open" }; break;
    case "sitting.ended":
      if (state.sitting) state.sitting = { ...state.sitting, status: "ended", endedAt: event.at };
      // Nobody speaks and nothing is being voted on after the end; the agenda stays as it was left.
      state.openVote = null;
      state.speaker = null;
      break;
    case "agenda.set":
      state.agenda = data.items.map((item) => pick(item, ["id", "number", "title", "billId", "tags"]));
      // The current item goes if the new agenda dropped it.
      if (!state.agenda.some((item) => item.id === state.currentItem)) state.currentItem = null;
      break;
    case "agenda.item": state.currentItem = data.itemId; break;
    case "speaker.changed": state.speaker = pick(data, ["name", "memberId", "role", "party"]); break;
    case "vote.opened": state.openVote = { ...pick(data, ["voteId", "motion", "itemId"]), yes: 0, no: 0, abstain: 0, notVoting: 0 }; break;
    case "vote.tally": if (state.openVote) state.openVote = { ...state.openVote, ...pick(data, TALLY) }; break;
    case "vote.closed":
      // The result keeps what the vote was about (the motion and item come only with vote.opened).
      state.lastVote = {
        ...pick(data, ["voteId", "result"]), ...pick(state.openVote, ["motion", "itemId"]), ...pick(data, TALLY),
        records: data.records.map((record) => pick(record, ["name", "memberId", "vote"])),
      };
      state.openVote = null;
      break;
    // transcript.line and notice leave the state as it is.
  }
}
