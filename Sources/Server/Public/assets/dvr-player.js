// Rewind while live: plays a rendition's DVR playlist (`{r}/dvr.m3u8`, an EVENT playlist of whole segments
// from the sitting's start, program-date-time on each) on Media Source Extensions, from any moment of it.
// It appends whole segments from the one holding the moment asked for and keeps about 30 s buffered ahead;
// a new init section (a new input session, `init-{g}.mp4`) goes in before its first segment, and media is
// kept contiguous in the buffer across discontinuities, as the live player does. Near the live edge it reads
// the small live playlist for what comes next rather than the whole DVR playlist again. No library.
import { parseMedia, segmentAt } from "./hls-playlist.js";
import { MediaBuffer, attachSource, keepPlaying } from "./source-buffer.js";

const ahead = 30;   // seconds buffered ahead of the playhead
const behind = 60;  // seconds kept behind it (a small step back needs no new fetch)

export class DvrPlayer {
  /** `playlistUrl`: a rendition's `dvr.m3u8`; options: `codecs` (RFC 6381), `audioOnly`, `liveUrl` (the
   * rendition's live `index.m3u8`, read for new segments at the edge; derived when omitted), `onStatus`. */
  constructor(element, playlistUrl, options = {}) {
    this.element = element;
    this.url = new URL(playlistUrl, location.href);
    this.liveUrl = new URL(options.liveUrl ?? this.url.href.replace(/dvr\.m3u8(\?.*)?$/, "index.m3u8"), location.href);
    this.codecs = options.codecs ?? (options.audioOnly ? "mp4a.40.2" : "avc1.64001f,mp4a.40.2");
    this.audioOnly = Boolean(options.audioOnly);
    this.onStatus = options.onStatus ?? (() => {});
    this.playlist = null;
    this.timeline = []; // [{start, end (buffer seconds), wall (ms at start), uri}] of what was appended
    this.stats = { segments: 0, inits: 0, reloads: 0, liveReloads: 0, restarts: 0, discontinuities: 0, seeksInBuffer: 0 };
    this.watch = {}; // the playhead as the watchdog last saw it moving: {position, since}
    this.stopped = false;
  }

  /** Plays from the wall-clock moment `wall` (ms since the epoch, or a Date). */
  async start(wall) {
    await this.restart(+wall);
  }

  /** Goes to `wall`: within what is buffered at once, else from the segment holding it. */
  async seek(wall) {
    const position = this.positionOf(+wall);
    if (position !== null && this.isBuffered(position)) {
      this.element.currentTime = position;
      this.stats.seeksInBuffer++;
      this.element.play().catch(() => {});
      return;
    }
    await this.restart(+wall);
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
    clearInterval(this.watchdog);
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
  }

  /** The wall-clock time of the frame on screen. */
  programDateTime() {
    const now = this.element.currentTime;
    const entry = this.timeline.findLast((t) => t.start <= now + 0.001);
    return entry && entry.wall !== null ? new Date(entry.wall + (now - entry.start) * 1000) : null;
  }

  /** Seconds the picture on screen is behind the wall clock, or null while unknown. */
  behindLive() {
    const onScreen = this.programDateTime();
    return onScreen ? Math.max(0, (Date.now() - onScreen.getTime()) / 1000) : null;
  }

  /** The first and last wall-clock moment (ms) the DVR playlist held when last read, or null. */
  range() {
    const segments = this.playlist?.segments.filter((s) => s.wall !== null) ?? [];
    if (!segments.length) return null;
    const last = segments.at(-1);
    return { start: segments[0].wall, end: Math.max(last.wall + last.duration * 1000, this.lastLiveEnd ?? 0) };
  }

  /** Buffer position of the wall-clock moment `wall` among the media appended, or null. */
  positionOf(wall) {
    const entry = this.timeline.find((t) => t.wall !== null && wall >= t.wall && wall < t.wall + (t.end - t.start) * 1000);
    return entry ? entry.start + (wall - entry.wall) / 1000 : null;
  }

  isBuffered(position) {
    const ranges = this.element.buffered;
    for (let i = 0; i < ranges.length; i++) if (position >= ranges.start(i) && position < ranges.end(i) - 0.2) return true;
    return false;
  }

  async restart(wall) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.stats.restarts++;
    await this.openSource();
    if (controller.signal.aborted) return;
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.keepGoing(), 250);
    this.run(wall, controller.signal).catch(() => {});
  }

  async openSource() {
    const attached = attachSource(this.element, this.objectUrl);
    this.source = attached.source;
    this.objectUrl = attached.url;
    await attached.opened;
    this.buffer = new MediaBuffer(this.source, `${this.audioOnly ? "audio" : "video"}/mp4; codecs="${this.codecs}"`);
    this.timeline = [];
    this.last = null; // the segment appended last: {uri, wall}
  }

  /** The loop: whole segments from the one holding `wall`, about `ahead` seconds in front of the playhead. */
  async run(wall, signal) {
    const current = () => { if (signal.aborted || this.stopped) throw new Error("stopped"); };
    let failures = 0;
    this.target = wall;
    while (!signal.aborted && !this.stopped) {
      try {
        if (!this.playlist || !this.last) {
          await this.loadDvr(signal);
          current();
        }
        if (this.last && this.buffer.end - this.element.currentTime > ahead) {
          this.buffer.trimBehind(this.element, behind);
          await sleep(500);
          continue;
        }
        const segment = this.nextSegment(this.target);
        if (!segment) {
          await this.waitForMore(signal);
          current();
          continue;
        }
        await this.appendSegment(segment, signal);
        failures = 0;
        this.onStatus(null);
      } catch (error) {
        if (signal.aborted || this.stopped) return;
        failures++;
        this.onStatus(failures > 2 ? "waiting" : null);
        await sleep(Math.min(3000, 250 * 2 ** failures));
      }
    }
  }

  async loadDvr(signal) {
    const response = await fetch(this.url, { cache: "no-store", signal });
    if (!response.ok) throw new Error(`DVR playlist: ${response.status}`);
    this.playlist = parseMedia(await response.text(), this.url);
    this.stats.reloads++;
  }

  /** The segment after the one appended last (or the one holding `target` to begin with), in the DVR
   * playlist or, near the edge, the live one. */
  nextSegment(target) {
    if (!this.last) {
      const first = this.playlist ? segmentAt(this.playlist, target) : null;
      return first?.uri ? first : null;
    }
    const lists = [this.playlist, this.livePlaylist].filter(Boolean).map((list) => list.segments.filter((s) => s.complete && s.uri));
    let known = false;
    for (const segments of lists) {
      const index = segments.findIndex((s) => s.uri === this.last.uri);
      if (index < 0) continue;
      known = true;
      if (index + 1 < segments.length) return segments[index + 1];
    }
    if (known) return null; // the newest one: wait for the next
    // Not listed by name any more (a new sitting's playlist, a server restart): the first one after it in time.
    for (const segments of lists) {
      const later = segments.find((s) => s.wall !== null && this.last.wall !== null && s.wall > this.last.wall + 1);
      if (later) return later;
    }
    return null;
  }

  /** At the end of what is listed: the live playlist (small) for the segments cut since, else the DVR one. */
  async waitForMore(signal) {
    const wait = Math.max(1000, Math.min(4000, (this.playlist?.targetDuration ?? 2) * 500));
    await sleep(wait);
    try {
      const response = await fetch(this.liveUrl, { cache: "no-store", signal });
      if (response.ok) {
        this.livePlaylist = parseMedia(await response.text(), this.liveUrl);
        this.stats.liveReloads++;
        const last = this.livePlaylist.segments.findLast((s) => s.complete && s.wall !== null);
        if (last) this.lastLiveEnd = last.wall + last.duration * 1000;
        if (this.livePlaylist.segments.some((s) => s.uri === this.last?.uri)) return;
      }
    } catch (error) {
      if (signal.aborted) throw error;
    }
    await this.loadDvr(signal);
  }

  async appendSegment(segment, signal) {
    const current = () => { if (signal.aborted || this.stopped) throw new Error("stopped"); };
    if (segment.init && segment.init !== this.buffer.init) {
      const init = await this.bytes(segment.init, signal);
      current();
      await this.buffer.appendInit(segment.init, init);
      current();
      this.stats.inits++;
    }
    const bytes = await this.bytes(segment.uri, signal);
    current();
    // A discontinuity (new input session, a gap in the recording) is moved on to keep the buffer contiguous.
    const position = this.buffer.place(bytes, segment.duration);
    const placed = position?.start ?? null;
    if (position) {
      if (position.moved) this.stats.discontinuities++;
      this.timeline.push({ start: placed, end: placed + segment.duration, wall: segment.wall, uri: segment.uri });
      if (this.timeline.length > 2000) this.timeline.splice(0, 1000);
    }
    await this.appendWithRoom(bytes);
    current();
    this.last = { uri: segment.uri, wall: segment.wall };
    this.stats.segments++;
    if (this.target !== null && placed !== null) {
      // The first segment: the playhead on the moment asked for, inside it.
      const into = segment.wall !== null ? Math.min(Math.max(0, (this.target - segment.wall) / 1000), Math.max(0, segment.duration - 0.1)) : 0;
      this.target = null;
      this.element.currentTime = Math.max(placed + into, this.buffer.start);
      this.element.play().catch(() => {});
    }
  }

  async bytes(uri, signal) {
    const response = await fetch(uri, { signal });
    if (!response.ok) throw new Error(`${uri}: ${response.status}`);
    return response.arrayBuffer();
  }

  /** Appends, making room once when the browser's buffer quota is full. */
  async appendWithRoom(bytes) {
    try {
      await this.buffer.append(bytes);
    } catch (error) {
      if (error?.name !== "QuotaExceededError") throw error;
      await this.buffer.remove(0, this.element.currentTime - 5);
      await this.buffer.append(bytes);
    }
  }

  /** Steps over a hole in the buffer, and nudges a playhead stuck with media ahead of it. */
  keepGoing() {
    const element = this.element;
    if (!this.buffer || this.source.readyState !== "open" || !element.buffered.length || element.paused) return;
    // Paused on purpose is no stall: only a playing element is watched.
    keepPlaying(element, this.buffer, this.watch, { patience: 1500 });
  }
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
