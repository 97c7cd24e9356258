// The channel's events over the WebSocket: a snapshot on join, then events in seq order. After a network
// drop it reconnects (backing off up to 8 s) and resubscribes with `since`, so nothing is missed or repeated.
export class EventFeed {
  constructor(channel, { snapshot, event, status }) {
    this.channel = channel;
    this.handlers = { snapshot, event, status: status ?? (() => {}) };
    this.lastSeq = null;
    this.delay = 500;
    this.closed = false;
  }

  start() {
    this.handlers.status("connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws`);
    this.socket = socket;
    socket.onopen = () => {
      const message = { op: "subscribe", channel: this.channel };
      if (this.lastSeq !== null) message.since = this.lastSeq;
      socket.send(JSON.stringify(message));
      this.handlers.status("connected");
    };
    socket.onmessage = (message) => {
      this.delay = 500; // back off again only if the server keeps closing before it says anything
      this.receive(JSON.parse(message.data));
    };
    socket.onclose = () => {
      if (this.closed) return;
      this.handlers.status("reconnecting");
      setTimeout(() => this.start(), this.delay);
      this.delay = Math.min(this.delay * 2, 8000);
    };
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
  }
}
