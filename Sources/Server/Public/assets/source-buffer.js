// The Media Source pieces both MSE players share (the Low-Latency player live, the DVR player rewound): a new
// MediaSource on the element, one SourceBuffer with appends and removals as promises and old media dropped
// behind the playhead, and the watchdog tick that keeps a playhead from stalling on what the buffer holds.
// No library.
import { fragmentStart, timescales } from "./fmp4.js";

/** Puts a new MediaSource on `element` in place of the one at the object URL `previousUrl`. Returns `source`
 * and its `url` at once (a watchdog that looks meanwhile sees a source not open yet and leaves it alone; a
 * stop revokes the new URL), and `opened`, which resolves once the source is open and revokes `previousUrl`
 * then: the old source's buffers can go. */
export function attachSource(element, previousUrl) {
  const source = new MediaSource();
  const opened = new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }))
    .then(() => { if (previousUrl) URL.revokeObjectURL(previousUrl); });
  const url = URL.createObjectURL(source);
  element.src = url;
  return { source, url, opened };
}

/** One SourceBuffer of an open MediaSource, in "segments" mode: each fragment lands where its own timestamps
 * (plus `timestampOffset`) place it, which is how `place` keeps media contiguous across discontinuities. */
export class MediaBuffer {
  /** Adds a SourceBuffer for `mime` (`video/mp4; codecs="…"`) to the open MediaSource `source`; the first
   * fragment placed goes at `continueAt` (seconds) when given, else where its own clock puts it. */
  constructor(source, mime, continueAt = null) {
    this.sourceBuffer = source.addSourceBuffer(mime);
    this.sourceBuffer.mode = "segments";
    this.init = null;           // URI of the init section in force
    this.scales = {};           // its timescales by track, to read fragment times
    this.expected = continueAt; // where the next fragment should start: the end of the one before
  }

  /** Seconds added to the timestamps of what is appended from now on. */
  get timestampOffset() { return this.sourceBuffer.timestampOffset; }
  set timestampOffset(seconds) { this.sourceBuffer.timestampOffset = seconds; }

  /** Where the first buffered range starts (0 while nothing is buffered). */
  get start() {
    const ranges = this.sourceBuffer.buffered;
    return ranges.length ? ranges.start(0) : 0;
  }

  /** Where the last buffered range ends (0 while nothing is buffered). */
  get end() {
    const ranges = this.sourceBuffer.buffered;
    return ranges.length ? ranges.end(ranges.length - 1) : 0;
  }

  /** Media of another rendition follows (a switch at a segment boundary): its init section goes in before
   * its first fragment, and the browser hears of its codecs where it can. */
  changeType(mime) {
    this.init = null;
    if (this.sourceBuffer.changeType) this.sourceBuffer.changeType(mime);
  }

  /** Appends the init section `bytes` fetched from `uri`; the fragments after it are timed by its timescales. */
  async appendInit(uri, bytes) {
    this.scales = timescales(bytes);
    await this.append(bytes);
    this.init = uri;
  }

  /** Where the fragment `bytes` (`duration` seconds) goes: `{start}` in buffer seconds, right after the one
   * placed before it, or null when it carries no time. A fragment whose own clock does not follow on (a new
   * input session, a server restart, a gap in the recording) is moved there by `timestampOffset` (`moved`),
   * so the buffer has no hole to stall on. Call it just before appending the fragment. */
  place(bytes, duration) {
    const start = fragmentStart(bytes, this.scales);
    if (start === null) return null;
    const at = start + this.timestampOffset;
    if (this.expected === null) this.expected = at;
    const moved = Math.abs(at - this.expected) > 0.25;
    if (moved) this.timestampOffset += this.expected - at;
    const placed = start + this.timestampOffset;
    this.expected = placed + duration;
    return { start: placed, moved };
  }

  /** Appends `bytes`: resolves once the browser has taken them, rejects when it refuses them (a decode error,
   * or a `QuotaExceededError` when its buffer is full). */
  append(bytes) {
    const buffer = this.sourceBuffer;
    return new Promise((resolve, reject) => {
      const done = () => { buffer.removeEventListener("error", fail); resolve(); };
      const fail = () => { buffer.removeEventListener("updateend", done); reject(new Error("append failed")); };
      buffer.addEventListener("updateend", done, { once: true });
      buffer.addEventListener("error", fail, { once: true });
      try { buffer.appendBuffer(bytes); } catch (error) {
        buffer.removeEventListener("updateend", done);
        buffer.removeEventListener("error", fail);
        reject(error);
      }
    });
  }

  /** Removes the media between `from` and `to` (seconds); resolves at once when there is none or the buffer is
   * busy (nothing waits on a removal that cannot start). */
  remove(from, to) {
    const buffer = this.sourceBuffer;
    if (to <= from || buffer.updating) return Promise.resolve();
    return new Promise((resolve) => {
      buffer.addEventListener("updateend", resolve, { once: true });
      try { buffer.remove(from, to); } catch { resolve(); }
    });
  }

  /** Drops media more than `seconds` behind `element`'s playhead, so a long sitting does not fill the quota.
   * Only once there are 10 s to drop, and never while an append is under way: the next call does it. */
  trimBehind(element, seconds) {
    const before = element.currentTime - seconds;
    if (before > this.start + 10 && !this.sourceBuffer.updating) {
      try { this.sourceBuffer.remove(0, before); } catch { /* busy: next time */ }
    }
  }
}

/** One watchdog tick (every 250 ms or so) for `element` playing from `buffer`, which holds media: steps over a
 * hole between two buffered ranges (media missing there stalls the element for good), and nudges on a
 * playhead that has stood still for `patience` ms with media ahead of it (a hole too small to show in
 * `buffered`, or one track starting later than the other after a source came back) — to the start of the
 * next buffered range with `toNextRange` when there is one, else a tenth of a second on. Paused, or within
 * half a second of the end of the media, a playhead is not stuck. `watch` ({position, since}) is the
 * caller's, kept from one tick to the next. Returns how many times it moved the playhead. */
export function keepPlaying(element, buffer, watch, { patience, toNextRange = false }) {
  const ranges = element.buffered;
  let moves = 0;
  for (let i = 0; i < ranges.length - 1; i++) {
    if (element.currentTime >= ranges.end(i) - 0.1 && element.currentTime < ranges.start(i + 1)) {
      element.currentTime = ranges.start(i + 1) + 0.01;
      moves++;
    }
  }
  if (element.currentTime !== watch.position || element.paused || buffer.end - element.currentTime < 0.5) {
    watch.position = element.currentTime;
    watch.since = performance.now();
  } else if (performance.now() - watch.since > patience) {
    const next = toNextRange ? [...Array(ranges.length).keys()].map((i) => ranges.start(i)).find((start) => start > element.currentTime) : undefined;
    element.currentTime = next !== undefined ? next + 0.01 : element.currentTime + 0.1;
    moves++;
    watch.since = performance.now();
  }
  return moves;
}
