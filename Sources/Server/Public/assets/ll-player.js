// A Low-Latency HLS player on Media Source Extensions, for every browser whose own HLS support ignores the
// parts (Chromium, Firefox, Android WebView). It follows one media playlist with blocking reloads
// (`_HLS_msn`/`_HLS_part`, delta updates with `_HLS_skip`), appends each part as it is announced, asks for
// the preload hint ahead, starts `PART-HOLD-BACK` from the live edge and keeps there with a gentle
// playbackRate (≤ 1.1). Media only ever goes forward: nothing already appended is fetched again and the
// picture never jumps back. Written for SenateLive's own CMAF playlists; no third-party library.
//
// Renditions: only those this browser's Media Source takes (`isTypeSupported`: HEVC where it decodes HEVC).
// "Auto" climbs and descends the H.264 ladder; `rendition` forces one (`source`, `hevc`, `360p`).
// A switch between two pictures (or two sounds) waits for the next segment boundary, where every rendition
// starts with a keyframe, so the picture never shows a frame that refers to another rendition's.
import { parseMedia, parseMultivariant, partName, renditionName } from "./hls-playlist.js";
import { MediaBuffer, attachSource, keepPlaying } from "./source-buffer.js";

const retryDelays = [250, 500, 1000, 2000, 3000];

export class LowLatencyPlayer {
  /** `multivariantUrl`: the channel's `index.m3u8`. Options: `audioOnly` starts on the audio rendition;
   * `rendition` forces a picture by name (null: auto); `audioRendition` is the media playlist sound only
   * plays instead of the floor's (an interpretation); `mediaUrl` (+ `codecs`) plays that one media
   * playlist and no multivariant; `follower` leaves the playhead to the caller (a second element kept in
   * step with the picture), so the player never moves it towards the live edge by itself;
   * `onVariant(variant)` hears each rendition change. */
  constructor(video, multivariantUrl, options = {}) {
    this.video = video;
    this.url = new URL(multivariantUrl ?? options.mediaUrl, location.href);
    this.audioOnly = Boolean(options.audioOnly);
    this.rendition = options.rendition ?? null;
    this.audioRendition = options.audioRendition ? new URL(options.audioRendition, location.href).href : null;
    this.mediaUrl = options.mediaUrl ? new URL(options.mediaUrl, location.href).href : null;
    this.mediaCodecs = options.codecs ?? "mp4a.40.2";
    this.follower = Boolean(options.follower);
    this.onVariant = options.onVariant ?? (() => {});
    this.onStatus = options.onStatus ?? (() => {});
    this.stopped = false;
    this.timeline = [];    // [{start, end (buffer seconds), wall (ms at start)}] of what was appended
    this.stats = { parts: 0, segments: 0, blockingReloads: 0, deltaUpdates: 0, refetches: 0, stalls: 0, switches: 0, rebuilds: 0, jumps: 0 };
    this.fetched = new Set(); // URIs of media appended, to prove nothing is appended twice
    this.throughput = null;   // bits per second, moving average of transfers that were not held by the server
    this.measuredAt = 0;      // performance.now() of the last throughput sample
    this.backlogs = [];       // seconds of media listed past what was appended, at each playlist load
    this.watch = {};          // the playhead as the watchdog last saw it moving: {position, since}
  }

  async start() {
    if (this.mediaUrl) {
      const codecs = this.mediaCodecs;
      this.variants = [{ uri: this.mediaUrl, name: renditionName(this.mediaUrl), bandwidth: 0, codecs, resolution: null, height: null,
        audioOnly: !/avc1|avc3|hvc1|hev1|av01|vp09/.test(codecs) }];
      this.audioTracks = [];
    } else {
      this.variants = await this.retry(async () => {
        const response = await fetch(this.url, { cache: "no-store" });
        if (!response.ok) throw new Error(`multivariant playlist: ${response.status}`);
        const all = parseMultivariant(await response.text(), this.url);
        if (!all.length) throw new Error("no variants yet");
        this.audioTracks = all.audio;
        // What this browser cannot decode (HEVC in most) is never offered.
        const playable = all.filter((variant) => canPlay(this.mime(variant)));
        return playable.length ? playable : all;
      });
    }
    if (this.stopped) return;
    this.variant = this.pick();
    this.onVariant(this.variant);
    await this.openSource();
    this.watchdog = setInterval(() => this.keepLive(), 250);
    this.follow();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.controller?.abort();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
  }

  /** Switches to the audio-only rendition or back, at the same moment of the sitting. */
  async setAudioOnly(audioOnly) {
    this.audioOnly = audioOnly;
    if (!this.variant) return;
    if (!audioOnly) this.autoAudioSince = null;
    await this.choose(this.pick());
  }

  /** Forces the picture `name` (`source`, `hevc`, `360p`…), or null for auto. */
  async setRendition(name) {
    this.rendition = name || null;
    if (!this.variant) return;
    this.autoAudioSince = null;
    this.backlogs = [];
    await this.choose(this.pick());
  }

  /** Sound only plays the media playlist `uri` (an interpretation), or the floor's again when null. */
  async setAudioRendition(uri) {
    this.audioRendition = uri ? new URL(uri, location.href).href : null;
    if (!this.variant?.audioOnly || this.mediaUrl) return;
    await this.choose(this.audioVariants()[0] ?? this.variant);
  }

  /** The renditions with a picture that "auto" moves between, best first; only the forced one when forced.
   * HEVC is taken only when asked for: the H.264 ladder is the one every rung of which shares a codec. */
  ladder() {
    const video = this.variants.filter((v) => !v.audioOnly);
    if (this.rendition) {
      const forced = video.find((v) => v.name === this.rendition);
      if (forced) return [forced];
    }
    const h264 = video.filter((v) => !/hvc1|hev1/.test(v.codecs));
    return h264.length ? h264 : video;
  }

  /** The sound-only renditions, the one sound only plays first (an interpretation when chosen). */
  audioVariants() {
    const audio = this.variants.filter((v) => v.audioOnly);
    if (!this.audioRendition || this.mediaUrl) return audio;
    const floor = audio[0];
    return [{ uri: this.audioRendition, name: renditionName(this.audioRendition), bandwidth: floor?.bandwidth ?? 0,
      codecs: floor?.codecs ?? "mp4a.40.2", resolution: null, height: null, audioOnly: true }, ...audio];
  }

  /** The rendition to start on, or to go to when the viewer asks: sound only when asked for, else the best
   * picture the measured throughput carries with room to spare (the best when nothing is measured yet). */
  pick() {
    const video = this.ladder(), audio = this.audioVariants();
    if (this.audioOnly && audio.length) return audio[0];
    if (!video.length) return this.variants[0];
    if (this.rendition || this.throughput === null) return video[0];
    return video.find((v) => v.bandwidth * 1.3 < this.throughput) ?? video.at(-1);
  }

  /** Goes to `variant` unless it is already playing or on its way. */
  async choose(variant) {
    if (variant.uri === (this.pendingVariant ?? this.variant).uri) return;
    if (variant.uri === this.variant.uri) { this.pendingVariant = null; return; }
    await this.switchTo(variant);
  }

  /** Adapts to the link, every few seconds. A link that cannot carry the rendition shows as a backlog: each
   * blocking reload comes back listing parts the player has not fetched yet (a source outage lists none).
   * Three reloads in a row more than a second behind, not catching up: the lowest picture of the ladder,
   * and below it, sound only. Sound only chosen this way tries the lowest picture again after 20 s, then 40, 80, 120 s. A
   * rendition the measured throughput carries better (a ladder rung up) is taken when measured. */
  adapt() {
    if (this.audioOnly || this.follower || this.rebuilding || this.pendingVariant || !this.variant) return;
    const video = this.ladder(), audio = this.audioVariants();
    const rung = video.findIndex((v) => v.uri === this.variant.uri);
    const now = performance.now();
    const recent = this.backlogs.slice(-3);
    // Behind and not catching up (a lower rung that drains the backlog it inherited is keeping up).
    if (recent.length === 3 && recent.every((seconds) => seconds > 1) && recent[2] > recent[0] - 0.25) {
      this.backlogs = [];
      // The lowest picture first (one step, however many rungs: the link is already behind), then sound only.
      if (rung >= 0 && rung < video.length - 1) return this.switchTo(video.at(-1));
      if (rung === video.length - 1 && audio.length) {
        this.probeAfter = Math.min(120_000, (this.probeAfter ?? 10_000) * 2);
        this.autoAudioSince = now;
        return this.switchTo(audio[0]);
      }
    } else if (this.variant.audioOnly && this.autoAudioSince && now - this.autoAudioSince > this.probeAfter && video.length) {
      this.autoAudioSince = null;
      this.backlogs = [];
      return this.switchTo(video.at(-1));
    } else if (!this.rendition && rung > 0 && this.throughput !== null && now - this.measuredAt < 20_000) {
      const better = video.findIndex((v) => v.bandwidth * 1.3 < this.throughput);
      if (better >= 0 && better < rung) return this.switchTo(video[better]);
    }
  }

  async switchTo(variant) {
    const sameTracks = variant.audioOnly === this.variant.audioOnly;
    if (sameTracks) {
      // Picture to picture (or sound to sound): taken by the loop at the next segment boundary.
      this.pendingVariant = variant;
      return;
    }
    this.pendingVariant = null;
    this.variant = variant;
    this.stats.switches++;
    this.prefetch = null;
    this.onVariant(variant);
    // MSE keeps the track layout of the first init section: a new MediaSource, placed so that its media
    // continues at the current position (currentTime goes on, never back).
    this.controller?.abort();
    this.rebuilding = true; // until the first append puts the playhead back where it was
    await this.openSource(this.video.currentTime);
    this.stats.rebuilds++;
    this.follow();
  }

  /** The loop is at a segment boundary: the pending rendition takes over from here. */
  applyPending() {
    const variant = this.pendingVariant;
    this.pendingVariant = null;
    this.variant = variant;
    this.stats.switches++;
    this.prefetch = null;
    this.last = null; // the old rendition's preload hint and skip window say nothing of the new one
    this.switchedAt = performance.now();
    this.buffer.changeType(this.mime(variant)); // the new rendition's init section goes in before its first segment
    this.onVariant(variant);
  }

  /** A picture-to-picture switch in the last 10 s: its playlist may lag the old one by a segment. */
  justSwitched() { return performance.now() - (this.switchedAt ?? -Infinity) < 10_000; }

  mime(variant) { return `${variant.audioOnly ? "audio" : "video"}/mp4; codecs="${variant.codecs}"`; }

  async openSource(continueAt = null) {
    const attached = attachSource(this.video, this.objectUrl);
    this.source = attached.source;
    this.objectUrl = attached.url;
    await attached.opened;
    this.buffer = new MediaBuffer(this.source, this.mime(this.variant), continueAt);
    if (continueAt !== null) {
      // Back at the old position at once (a new source starts the element at 0), before media arrives.
      this.source.duration = continueAt + 3600;
      this.video.currentTime = continueAt;
    }
    this.pendingSeek = continueAt ?? 0; // the first append moves the playhead onto the media
    this.timeline = [];
  }

  /** The loop: blocking reloads for the next part, appending whatever the playlist now lists past `next`. */
  async follow() {
    const controller = new AbortController();
    this.controller = controller;
    let failures = 0;
    while (!this.stopped && !controller.signal.aborted) {
      try {
        if (this.pendingVariant && (!this.next || this.next.part === 0)) this.applyPending();
        const playlist = await this.load(controller.signal);
        if (controller.signal.aborted) return;
        await this.appendFrom(playlist, controller.signal);
        failures = 0;
        this.onStatus(null);
      } catch (error) {
        if (controller.signal.aborted) return;
        failures++;
        this.onStatus(failures > 2 ? "waiting" : null);
        await sleep(retryDelays[Math.min(failures, retryDelays.length) - 1]);
      }
    }
  }

  /** The media playlist: blocking on the next part once we follow the edge, a delta update when allowed. */
  async load(signal) {
    const url = new URL(this.variant.uri);
    if (this.next && this.last?.canBlock) {
      url.searchParams.set("_HLS_msn", this.next.msn);
      url.searchParams.set("_HLS_part", this.next.part);
      this.stats.blockingReloads++;
      if (this.last.canSkipUntil > 0) url.searchParams.set("_HLS_skip", "YES");
      this.preload(signal);
    }
    const response = await fetch(url, { cache: "no-store", signal });
    if (response.status === 400 && this.next && this.justSwitched()) throw new Error("the new rendition is a moment behind");
    if (response.status === 400 && this.next) { this.next = null; throw new Error("asked too far ahead: start again from the live edge"); }
    if (!response.ok) throw new Error(`media playlist: ${response.status}`);
    const playlist = parseMedia(await response.text(), url);
    if (playlist.skipped) this.stats.deltaUpdates++;
    this.last = playlist;
    return playlist;
  }

  /** Asks for the preload-hint part while the playlist request waits: the server answers both when it is cut. */
  preload(signal) {
    const hint = this.last?.hint;
    const name = hint && partName(hint);
    if (!name || name.msn !== this.next.msn || name.part !== this.next.part || this.prefetch?.uri === hint) return;
    const bytes = fetch(hint, { signal }).then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null);
    this.prefetch = { uri: hint, bytes };
  }

  async appendFrom(playlist, signal) {
    const segments = playlist.segments;
    if (!segments.length) throw new Error("no media yet");
    if (this.next && this.next.msn > segments.at(-1).msn + 1 && this.justSwitched()) {
      // A rendition encoded from the source lists a segment a moment later: wait for it rather than jump.
      throw new Error("the new rendition is a moment behind");
    }
    if (this.next && !this.listed(playlist, this.next)) {
      // Fell out of the window (a long stall or a tab in the background): rejoin at the live edge, ahead.
      this.stats.jumps++;
      this.next = null;
    }
    if (!this.next) this.next = this.startPoint(playlist);
    this.backlogs = [...this.backlogs.slice(-5), this.backlog(playlist)];
    for (const segment of segments) {
      if (segment.msn < this.next.msn) continue;
      if (this.pendingVariant && this.next.part === 0) return; // the loop switches before the next load
      if (segment.parts.length === 0 || (segment.complete && this.next.part === 0 && segment.msn < segments.at(-1).msn - 1)) {
        // Whole segment (its parts are no longer listed, or we are catching up).
        if (!segment.complete) break;
        if (segment.msn === this.next.msn && this.next.part > 0) {
          // Its first parts are already in the buffer and its other parts are no longer listed: the whole
          // segment would show them again. Go on at the next segment instead (ahead, never back).
          this.next = { msn: segment.msn + 1, part: 0 };
          continue;
        }
        await this.appendMedia(segment, segment.uri, segment.wall, segment.duration, signal, { msn: segment.msn + 1, part: 0 });
        this.stats.segments++;
        continue;
      }
      for (const part of segment.parts.slice(this.next.part)) {
        await this.appendMedia(segment, part.uri, part.wall, part.duration, signal, { msn: segment.msn, part: part.index + 1 });
        this.stats.parts++;
      }
      if (segment.complete) this.next = { msn: segment.msn + 1, part: 0 };
      else break;
    }
  }

  /** Seconds of media the playlist lists past `next`. */
  backlog(playlist) {
    let seconds = 0;
    for (const segment of playlist.segments) {
      if (segment.msn < this.next.msn) continue;
      if (segment.parts.length === 0) { if (segment.msn > this.next.msn || this.next.part === 0) seconds += segment.duration; continue; }
      for (const part of segment.parts) if (segment.msn > this.next.msn || part.index >= this.next.part) seconds += part.duration;
    }
    return seconds;
  }

  listed(playlist, position) {
    const first = playlist.segments[0].msn;
    const last = playlist.segments.at(-1);
    return position.msn >= first && position.msn <= last.msn + 1;
  }

  /** Where a viewer joins: the newest independent part at least PART-HOLD-BACK from the live edge (on a young
   * stream, the first independent part there is). */
  startPoint(playlist) {
    const holdBack = playlist.partHoldBack ?? playlist.partTarget * 3;
    let fromEnd = 0, start = null;
    for (let s = playlist.segments.length - 1; s >= 0 && start === null; s--) {
      const segment = playlist.segments[s];
      for (let p = segment.parts.length - 1; p >= 0; p--) {
        fromEnd += segment.parts[p].duration;
        if (segment.parts[p].independent && fromEnd >= holdBack) { start = { msn: segment.msn, part: p }; break; }
      }
    }
    if (start) return start;
    const first = playlist.segments.find((segment) => segment.parts.some((part) => part.independent));
    if (first) return { msn: first.msn, part: first.parts.findIndex((part) => part.independent) };
    return { msn: playlist.segments[0].msn, part: 0 };
  }

  /** Appends one part or segment; `after` is the position that follows it, taken as soon as the media is in
   * the buffer (even if a switch aborted this loop meanwhile: it may already be on screen). */
  async appendMedia(segment, uri, wall, duration, signal, after) {
    // A loop that a switch aborted must not touch the new source: every await below checks.
    const current = () => { if (signal.aborted) throw new Error("switched"); };
    if (segment.init !== this.buffer.init) {
      const init = await this.bytes(segment.init, signal);
      current();
      await this.buffer.appendInit(segment.init, init);
      current();
    }
    if (this.fetched.has(uri)) this.stats.refetches++;
    this.fetched.add(uri);
    if (this.fetched.size > 2000) this.fetched = new Set([...this.fetched].slice(-1000));
    let bytes = null;
    if (this.prefetch?.uri === uri) bytes = await this.prefetch.bytes;
    current();
    this.prefetch = null;
    bytes ??= await this.bytes(uri, signal);
    current();
    // Keep media contiguous in the buffer: a new input session or a server restart starts its own clock.
    const placed = this.buffer.place(bytes, duration);
    if (placed) {
      this.timeline.push({ start: placed.start, end: placed.start + duration, wall });
      if (this.timeline.length > 600) this.timeline.splice(0, 300);
    }
    await this.buffer.append(bytes);
    this.next = after;
    current();
    this.buffer.trimBehind(this.video, 60);
    if (this.pendingSeek !== null && this.pendingSeek !== undefined) {
      this.video.currentTime = Math.max(this.pendingSeek, this.buffer.start);
      this.pendingSeek = null;
      this.rebuilding = false;
    }
    if (this.video.paused && !this.userPaused) this.video.play().catch(() => {});
  }

  /** Media already cut (listed in the playlist), timed from request to last byte: that measures the link.
   * Parts fetched through the preload hint are not: the server held them until they were cut. On a link
   * that keeps up, every part comes through the hint and the estimate grows stale; on one that does not,
   * the player falls behind, fetches listed parts, and measures. */
  async bytes(uri, signal) {
    const began = performance.now();
    const response = await fetch(uri, { signal });
    if (!response.ok) throw new Error(`${uri}: ${response.status}`);
    const body = await response.arrayBuffer();
    const done = performance.now();
    if (body.byteLength > 2000 && done - began > 10) {
      const rate = (body.byteLength * 8) / ((done - began) / 1000);
      this.throughput = this.throughput === null ? rate : this.throughput * 0.7 + rate * 0.3;
      this.measuredAt = done;
    }
    return body;
  }

  /** Seconds between the playhead and the newest media appended. */
  behind() { return this.buffer.end - this.video.currentTime; }

  /** Keeps the playhead PART-HOLD-BACK behind the edge: faster up to 1.1 when late, a jump ahead when far
   * behind (after a stall), a step over a hole in the buffer. Never seeks back. */
  keepLive() {
    const video = this.video;
    if (!this.buffer || this.source.readyState !== "open" || !video.buffered.length) return;
    const target = this.last?.partHoldBack ?? 1;
    const behind = this.behind();
    if (!this.follower) this.holdBack(target, behind);
    if (video.currentTime < this.buffer.start) video.currentTime = this.buffer.start;
    // Holes in the buffer, and a playhead stuck with media ahead: after a second, on to the next range rather
    // than waiting to jump to the edge seconds later.
    this.stats.stalls += keepPlaying(video, this.buffer, this.watch, { patience: 1000, toNextRange: true });
    if (video.paused && !this.userPaused && behind > 0.2) video.play().catch(() => {});
    if (performance.now() - (this.lastChoice ?? 0) > 2000) {
      this.lastChoice = performance.now();
      this.adapt();
    }
  }

  /** The playhead at PART-HOLD-BACK (`target`) behind the newest media appended. */
  holdBack(target, behind) {
    const video = this.video;
    // Until the picture has played a moment, nobody has seen anything: join at the hold-back at once
    // rather than catching up at 1.1 for half a minute.
    const joining = this.joinedAt === undefined || performance.now() - this.joinedAt < 1500;
    if (this.joinedAt === undefined && !video.paused && video.readyState >= 3) this.joinedAt = performance.now();
    if (joining && behind > target + 0.3) {
      video.currentTime = this.buffer.end - target;
    } else if (behind > target + 6) {
      video.currentTime = this.buffer.end - target;
      this.stats.jumps++;
    } else if (behind > target + 0.25) {
      video.playbackRate = 1.1;
    } else if (behind < target - 0.25) {
      // Back at the edge with no margin (after an outage): build the hold-back up again, slowly enough
      // that nobody hears it, so the next late part does not stall the picture.
      video.playbackRate = 0.95;
    } else {
      video.playbackRate = 1;
    }
  }

  /** The wall-clock time of the frame on screen, from the program-date-time of what was appended. */
  programDateTime() {
    const now = this.video.currentTime;
    const entry = this.timeline.findLast((t) => t.start <= now);
    return entry && entry.wall !== null ? new Date(entry.wall + (now - entry.start) * 1000) : null;
  }

  async retry(body) {
    for (let attempt = 0; ; attempt++) {
      try { return await body(); } catch (error) {
        if (this.stopped) throw error;
        this.onStatus(attempt > 1 ? "waiting" : null);
        await sleep(retryDelays[Math.min(attempt, retryDelays.length - 1)]);
      }
    }
  }
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

/** Whether this browser's Media Source takes `mime` (`video/mp4; codecs="hvc1…"`). */
export function canPlay(mime) {
  const source = window.MediaSource ?? window.ManagedMediaSource;
  return typeof source?.isTypeSupported === "function" ? source.isTypeSupported(mime) : true;
}
