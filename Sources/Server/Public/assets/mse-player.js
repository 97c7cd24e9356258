// A small live HLS player on Media Source Extensions, for browsers without native HLS. It reads one fMP4
// media playlist, appends its init section and then whole segments from three back from the live edge, and
// follows the playlist. Written for SenateLive's own playlists (CMAF, EXT-X-MAP per generation); not a
// general-purpose HLS player.
export class MsePlayer {
  constructor(video, playlistUrl) {
    this.video = video;
    this.url = new URL(playlistUrl, location.href);
    this.next = null;      // msn of the next segment to append
    this.init = null;      // URI of the init section appended last
    this.times = [];       // [{msn, start (media seconds in the buffer), wall (Date), duration}]
    this.stopped = false;
  }

  async start() {
    const codecs = await this.codecs();
    this.source = new MediaSource();
    this.video.src = URL.createObjectURL(this.source);
    await new Promise((resolve) => this.source.addEventListener("sourceopen", resolve, { once: true }));
    const kind = /avc1|hvc1|hev1/.test(codecs) ? "video" : "audio";
    this.buffer = this.source.addSourceBuffer(`${kind}/mp4; codecs="${codecs}"`);
    this.buffer.mode = "sequence"; // segments play back to back even across a discontinuity
    this.loop();
  }

  stop() { this.stopped = true; clearTimeout(this.timer); }

  /** CODECS of the variant whose URI is our playlist, from the multivariant playlist beside it. */
  async codecs() {
    const multivariant = new URL("../index.m3u8", this.url);
    const text = await (await fetch(multivariant)).text();
    const lines = text.split("\n");
    const name = this.url.pathname.split("/").slice(-2).join("/");
    for (let i = 0; i < lines.length; i++) {
      if (lines[i + 1]?.trim() === name) return /CODECS="([^"]+)"/.exec(lines[i])?.[1] ?? "avc1.42E01E,mp4a.40.2";
      if (lines[i].includes(`URI="${name}"`)) return /CODECS="([^"]+)"/.exec(lines[i])?.[1] ?? "mp4a.40.2";
    }
    return "avc1.42E01E,mp4a.40.2";
  }

  async loop() {
    if (this.stopped) return;
    let wait = 1000;
    try {
      const text = await (await fetch(this.url, { cache: "no-store" })).text();
      const segments = parse(text);
      if (segments.length) {
        if (this.next === null || !segments.some((s) => s.msn === this.next)) this.next = segments[Math.max(0, segments.length - 3)].msn;
        for (const segment of segments.filter((s) => s.msn >= this.next)) {
          if (segment.init !== this.init) {
            await this.append(await this.bytes(segment.init));
            this.init = segment.init;
          }
          const start = this.bufferedEnd();
          await this.append(await this.bytes(`${segment.msn}.m4s`));
          this.times.push({ msn: segment.msn, start, wall: segment.wall, duration: segment.duration });
          this.next = segment.msn + 1;
        }
        this.times = this.times.slice(-30);
        if (this.video.paused && this.video.buffered.length) this.video.play().catch(() => {});
        wait = Math.max(500, (segments.at(-1).duration * 1000) / 2);
      }
    } catch { wait = 2000; }
    this.timer = setTimeout(() => this.loop(), wait);
  }

  async bytes(uri) {
    const response = await fetch(new URL(uri, this.url));
    if (!response.ok) throw new Error(`${uri}: ${response.status}`);
    return response.arrayBuffer();
  }

  append(bytes) {
    return new Promise((resolve, reject) => {
      this.buffer.addEventListener("updateend", resolve, { once: true });
      this.buffer.addEventListener("error", reject, { once: true });
      this.buffer.appendBuffer(bytes);
    });
  }

  bufferedEnd() {
    const ranges = this.buffer.buffered;
    return ranges.length ? ranges.end(ranges.length - 1) : 0;
  }

  /** The wall-clock time of the frame on screen. */
  programDateTime() {
    const now = this.video.currentTime;
    const entry = this.times.find((t) => now >= t.start && now < t.start + t.duration) ?? this.times.at(-1);
    return entry?.wall ? new Date(entry.wall.getTime() + (now - entry.start) * 1000) : null;
  }
}

/** Whole segments of a media playlist: msn, duration, program-date-time and init section. */
function parse(text) {
  const segments = [];
  let sequence = 0, init = null, wall = null, duration = 0, index = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) sequence = parseInt(line.slice(22), 10);
    else if (line.startsWith("#EXT-X-MAP:")) init = /URI="([^"]+)"/.exec(line)?.[1] ?? init;
    else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) wall = new Date(line.slice(25));
    else if (line.startsWith("#EXTINF:")) duration = parseFloat(line.slice(8));
    else if (line && !line.startsWith("#")) {
      const msn = parseInt(line, 10);
      segments.push({ msn: Number.isNaN(msn) ? sequence + index : msn, duration, wall, init });
      index++;
    }
  }
  return segments;
}
