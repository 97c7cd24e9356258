// The channel's events over the WebSocket: a snapshot on join, then events in seq order. After a drop it
// reconnects and resubscribes with `since`, so nothing is missed or repeated.
//
// Reconnects wait a random time up to a growing bound ("full jitter": 0–1 s, 0–2 s, … up to 0–30 s), and
// the bound resets only once a connection has stayed up for a while. After a server restart the pages of
// every viewer retry together: spread out this way they arrive as a stream, not as one burst, and a
// server that keeps closing connections is not hammered by a fixed-interval loop.
export const backoff = { base: 1000, cap: 30000, stable: 10000 };

/// The wait before reconnect attempt `attempt` (1, 2, …), in milliseconds.
export function reconnectDelay(attempt, random = Math.random) {
  return Math.floor(random() * Math.min(backoff.cap, backoff.base * 2 ** (attempt - 1)));
}

/** Event types as SSE names them (`event:` lines), for the fallback below. */
const eventTypes = ["sitting.started", "sitting.suspended", "sitting.resumed", "sitting.ended", "agenda.set", "agenda.item",
  "speaker.changed", "vote.opened", "vote.tally", "vote.closed", "transcript.line", "notice"];

// Where a WebSocket never opens (the HTTPS/HTTP-2 port, a proxy that refuses upgrades), the feed moves to
// Server-Sent Events after two failed attempts: the same events with the same resume (`since`).
export class EventFeed {
  constructor(channel, { snapshot, event, status }) {
    this.channel = channel;
    this.handlers = { snapshot, event, status: status ?? (() => {}) };
    this.lastSeq = null;
    this.attempt = 0;
    this.closed = false;
    this.opened = false;    // a WebSocket has opened at least once
    this.failedOpens = 0;
  }

  start() {
    this.handlers.status("connecting");
    if (this.failedOpens >= 2 && !this.opened && window.EventSource) { this.startEventSource(); return; }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws`);
    this.socket = socket;
    let stableTimer = null;
    socket.onopen = () => {
      this.opened = true;
      const message = { op: "subscribe", channel: this.channel };
      if (this.lastSeq !== null) message.since = this.lastSeq;
      socket.send(JSON.stringify(message));
      this.handlers.status("connected");
      stableTimer = setTimeout(() => { this.attempt = 0; }, backoff.stable);
    };
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = () => {
      clearTimeout(stableTimer);
      if (!this.opened) this.failedOpens += 1;
      if (this.closed) return;
      this.handlers.status("reconnecting");
      this.attempt += 1;
      setTimeout(() => this.start(), reconnectDelay(this.attempt));
    };
  }

  /** The SSE fallback; EventSource reconnects by itself and resumes with Last-Event-ID. */
  startEventSource() {
    const url = new URL(`/api/v1/channels/${this.channel}/events/stream`, location.href);
    if (this.lastSeq !== null) url.searchParams.set("since", this.lastSeq);
    const source = new EventSource(url);
    this.eventSource = source;
    source.onopen = () => this.handlers.status("connected");
    source.onerror = () => this.handlers.status("reconnecting");
    source.addEventListener("snapshot", (message) => this.receive(JSON.parse(message.data)));
    for (const type of eventTypes) {
      source.addEventListener(type, (message) => this.receive({ op: "event", ...JSON.parse(message.data) }));
    }
  }

  receive(message) {
    if (message.channel && message.channel !== this.channel) return;
    if (message.op === "snapshot") {
      this.lastSeq = message.seq;
      this.handlers.snapshot(message.state, message.seq);
    } else if (message.op === "event") {
      if (this.lastSeq !== null && message.seq <= this.lastSeq) return;
      this.lastSeq = message.seq;
      this.handlers.event(message);
    }
  }

  stop() {
    this.closed = true;
    this.socket?.close();
    this.eventSource?.close();
  }
}
