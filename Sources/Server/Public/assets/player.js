// Plays a channel's live HLS in a <video>. Safari (and browsers with no Media Source Extensions) play it
// natively, parts included; every other browser gets the bundled Low-Latency player, because their own HLS
// support ignores parts and sits 10 s or more behind the chamber. `?player=native` or `?player=mse` in the
// page URL forces one. Also tells which wall-clock moment is on screen, so events can follow the picture.
//
// Beyond the live edge: a picture chosen by name (`source`, `hevc`, `360p`; auto by default), a language
// (the floor is muxed into every picture; an interpretation plays in a second, hidden <audio> element kept
// in step with the picture, the <video> muted), and rewind while live (the DVR playlist on the bundled
// segment player, `dvr-player.js`), back to the live edge on request.
import { parseMedia, parseMultivariant } from "./hls-playlist.js";
import { DvrPlayer } from "./dvr-player.js";
import { Interpretation } from "./interpretation.js";
import { LowLatencyPlayer } from "./ll-player.js";

export class LivePlayer {
  /** Options: `onStatus(status)`; `onChange()` when the renditions, languages or mode change; `audio`: the
   * <audio> element an interpretation plays in; `rendition`: a picture forced by name. */
  constructor(video, { onStatus, onChange, audio, rendition } = {}) {
    this.video = video;
    this.audio = audio ?? null;
    this.onStatus = onStatus ?? (() => {});
    this.onChange = onChange ?? (() => {});
    this.offset = null; // native path: program-date-time minus video time, in ms, once known
    this.low = null;    // the Low-Latency player while live on Media Source
    this.dvr = null;    // the segment player while rewound
    this.interpretation = this.audio ? new Interpretation(this, this.audio) : null;
    this.stats = this.interpretation?.stats ?? {};
    this.rendition = rendition ?? null;
    this.track = null;  // the chosen EXT-X-MEDIA audio rendition when it is not the floor
    this.variants = [];
    this.audioTracks = [];
  }

  /** Which path this browser takes: "native" or "mse". */
  static mode() {
    const forced = new URLSearchParams(location.search).get("player");
    if (forced === "native" || forced === "mse") return forced;
    const mse = Boolean(window.MediaSource ?? window.ManagedMediaSource);
    const safari = /^((?!chrome|chromium|crios|android|fxios|edg).)*safari/i.test(navigator.userAgent);
    const native = document.createElement("video").canPlayType("application/vnd.apple.mpegurl") !== "";
    return (native && safari) || !mse ? "native" : "mse";
  }

  /** Plays the channel whose multivariant playlist is `url`; `audioOnly` picks the audio rendition. */
  play(url, { audioOnly = false } = {}) {
    this.url = new URL(url, location.href);
    this.audioOnly = audioOnly;
    this.stopAll();
    this.mode = LivePlayer.mode();
    if (this.mode === "mse") {
      this.startLow();
    } else {
      this.describe();
      this.playNative();
    }
    clearInterval(this.syncTimer);
    if (this.interpretation) this.syncTimer = setInterval(() => this.interpretation.tick(), 250);
    this.video.play().catch(() => {}); // autoplay may need a click; the controls are there
  }

  startLow() {
    const low = new LowLatencyPlayer(this.video, this.url, {
      audioOnly: this.audioOnly, rendition: this.rendition, audioRendition: this.track?.uri ?? null, onStatus: this.onStatus,
      onVariant: () => {
        if (this.low !== low) return;
        if (!this.variants.length) { this.variants = low.variants; this.audioTracks = low.audioTracks ?? []; }
        this.onChange();
      },
    });
    this.low = low;
    low.start().catch(() => this.onStatus("waiting"));
  }

  playNative() {
    const name = this.audioOnly ? (this.track?.rendition ?? "audio") : this.rendition;
    this.video.src = name ? new URL(`${name}/index.m3u8`, this.url).href : this.url.href;
    if (this.track && !this.audioOnly) this.enableNativeTrack();
    this.trackNative(name ?? "source");
  }

  stopAll() {
    this.low?.stop();
    this.low = null;
    this.dvr?.stop();
    this.dvr = null;
    this.interpretation?.stop();
    clearInterval(this.timer);
  }

  /** Native path: the renditions and languages for the page's choices (the bundled player reads its own). */
  async describe() {
    for (let attempt = 0; attempt < 30 && !this.variants.length; attempt++) {
      try {
        const response = await fetch(this.url, { cache: "no-store" });
        if (response.ok) {
          const variants = parseMultivariant(await response.text(), this.url);
          if (variants.length) { this.variants = variants; this.audioTracks = variants.audio; this.onChange(); return; }
        }
      } catch { /* not up yet */ }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  /** Switches between picture and sound only without reloading the page. */
  setAudioOnly(audioOnly) {
    this.audioOnly = audioOnly;
    if (this.dvr) return this.restartDvr();
    if (this.low) return this.low.setAudioOnly(audioOnly);
    return this.play(this.url, { audioOnly });
  }

  /** The pictures this browser can show, best first: [{name, height, codecs, bandwidth}]. */
  pictures() {
    return this.variants.filter((v) => !v.audioOnly);
  }

  /** The rendition playing (its folder name), or null before one is. */
  currentRendition() {
    if (this.dvr) return this.dvrVariant?.name ?? null;
    return this.low?.variant?.name ?? this.rendition;
  }

  /** Forces the picture `name`, or auto (null). */
  setRendition(name) {
    this.rendition = name || null;
    if (this.dvr) return this.restartDvr();
    if (this.low) return this.low.setRendition(this.rendition);
    if (this.url) return this.play(this.url, { audioOnly: this.audioOnly });
  }

  /** Plays `track` (an entry of `audioTracks`); the floor (no URI) or null plays the sound in the picture. */
  setAudioTrack(track, { unmute = false } = {}) {
    const alternate = track && track.uri ? track : null;
    const changed = (alternate?.uri ?? null) !== (this.track?.uri ?? null);
    this.track = alternate;
    if (unmute && this.interpretation) this.interpretation.userMuted = false;
    if (this.mode === "native") { this.enableNativeTrack(track); this.interpretation?.applyMute(); return; }
    if (changed) {
      this.interpretation?.stop();
      if (this.dvr && this.dvr.audioOnly) this.restartDvr();
      else this.low?.setAudioRendition(alternate?.uri ?? null);
    }
    this.interpretation?.applyMute();
    this.interpretation?.tick();
    this.onChange();
  }

  /** Safari's own player lists the EXT-X-MEDIA renditions as `video.audioTracks`. */
  enableNativeTrack(track = this.track) {
    const list = this.video.audioTracks;
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      entry.enabled = track ? (entry.language === track.language || entry.label === track.name) : i === 0;
    }
  }

  // --- rewind while live -----------------------------------------------------------------------------

  /** True while the picture plays from the DVR playlist rather than the live edge. */
  get rewound() { return this.dvr !== null || this.nativeDvr === true; }

  /** The live media playlist of the rendition playing now, for a DVR start: {name, codecs, audioOnly}. */
  dvrChoice() {
    const live = this.low?.variant;
    if (this.audioOnly || live?.audioOnly) {
      // Sound only, asked for or taken by the live player on a weak link.
      const floor = this.variants.find((v) => v.audioOnly);
      return { name: this.track?.rendition ?? floor?.name ?? "audio", codecs: floor?.codecs ?? "mp4a.40.2", audioOnly: true };
    }
    const pictures = this.pictures();
    const playing = live ?? (this.dvrVariant && !this.dvrVariant.audioOnly ? this.dvrVariant : null);
    const wanted = this.rendition ? pictures.find((v) => v.name === this.rendition) : null;
    const auto = playing ? pictures.find((v) => v.name === playing.name) : null;
    const chosen = wanted ?? auto ?? pictures.find((v) => !/hvc1|hev1/.test(v.codecs)) ?? pictures[0];
    return chosen ? { name: chosen.name, codecs: chosen.codecs, audioOnly: false } : { name: "source", codecs: "avc1.64001f,mp4a.40.2", audioOnly: false };
  }

  /** Plays from the wall-clock moment `wall` (ms or Date) of the DVR playlist; a moment within a few
   * seconds of live goes back to the live edge instead. */
  async seekTo(wall) {
    wall = +wall;
    if (Date.now() - wall < 4000) return this.goLive();
    if (!window.MediaSource) return this.seekNative(wall);
    if (this.dvr) {
      await this.dvr.seek(wall);
      this.interpretation?.seek(wall);
      this.onChange();
      return;
    }
    this.low?.stop();
    this.low = null;
    clearInterval(this.timer); // the native path's clock follows the live playlist
    this.interpretation?.stop();
    await this.startDvr(wall);
  }

  async startDvr(wall) {
    const choice = this.dvrChoice();
    this.dvrVariant = choice;
    const dvr = new DvrPlayer(this.video, new URL(`${choice.name}/dvr.m3u8`, this.url), { codecs: choice.codecs, audioOnly: choice.audioOnly, onStatus: this.onStatus });
    this.dvr = dvr;
    this.onChange();
    await dvr.start(wall);
    this.interpretation?.applyMute();
  }

  /** The DVR player again at the same moment, after a change of rendition, language or sound only. */
  async restartDvr() {
    const at = this.programDateTime() ?? new Date(Date.now() - 30_000);
    this.dvr?.stop();
    this.dvr = null;
    this.interpretation?.stop();
    await this.startDvr(at.getTime());
  }

  /** Back to the live edge on the Low-Latency player. */
  goLive() {
    if (this.nativeDvr) { this.nativeDvr = false; return this.play(this.url, { audioOnly: this.audioOnly }); }
    if (!this.dvr) return;
    this.dvr.stop();
    this.dvr = null;
    this.dvrVariant = null;
    this.interpretation?.stop();
    if (this.mode === "native") return this.play(this.url, { audioOnly: this.audioOnly });
    this.startLow();
    this.onChange();
  }

  /** Without Media Source (an iPhone before iOS 17.1): the browser's own player on the DVR multivariant. */
  seekNative(wall) {
    const dvrUrl = new URL("dvr.m3u8", this.url).href;
    const seek = () => {
      const start = this.video.getStartDate?.();
      if (start && start.getTime() > 0) this.video.currentTime = Math.max(0, (wall - start.getTime()) / 1000);
      this.video.play().catch(() => {});
    };
    if (this.nativeDvr && this.video.src === dvrUrl) return seek();
    this.nativeDvr = true;
    clearInterval(this.timer);
    this.video.src = dvrUrl;
    this.video.addEventListener("loadedmetadata", seek, { once: true });
    this.onChange();
  }

  /** The wall-clock span the DVR playlist covers, {start, end} in ms, or null before it is known. Read
   * once, then every two minutes (it only grows, from the sitting's start): the end is the live edge. */
  async dvrRange() {
    const fresh = this.rangeAt && performance.now() - this.rangeAt < 120_000;
    if (!fresh && this.url) {
      this.rangeAt = performance.now();
      try {
        const name = this.dvrChoice().name;
        const response = await fetch(new URL(`${name}/dvr.m3u8`, this.url), { cache: "no-store" });
        const start = response.ok ? firstProgramDateTime(await response.text()) : null;
        this.rangeStart = start;
        if (start === null) this.rangeAt = performance.now() - 117_000; // nothing yet: again in three seconds
      } catch { this.rangeAt = performance.now() - 117_000; }
    }
    const known = this.dvr?.range();
    const start = known?.start ?? this.rangeStart;
    return start ? { start, end: Date.now() } : null;
  }

  /** The DVR playlist starts again with each sitting: read its span afresh at the next call. */
  refreshDvrRange() { this.rangeAt = null; }

  // --- where the picture is -------------------------------------------------------------------------

  /** Native path: ties the video's clock to program-date-time. A native player that does not expose it
   * appends whole segments as they appear, so each time its buffered end grows we read the playlist: the
   * newest complete segment is the one just appended, and its end in wall time against the buffered end
   * gives the offset between the two clocks. */
  trackNative(name = "source") {
    clearInterval(this.timer);
    this.offset = null;
    let seen = 0;
    const media = new URL(`${name}/index.m3u8`, this.url);
    this.timer = setInterval(async () => {
      const buffered = this.video.buffered;
      const end = buffered.length ? buffered.end(buffered.length - 1) : 0;
      if (end <= seen) return;
      seen = end;
      try {
        const response = await fetch(media, { cache: "no-store" });
        const wall = response.ok ? lastSegmentEnd(await response.text()) : null;
        if (wall) this.offset = wall.getTime() - end * 1000;
      } catch { /* offline for a moment: keep the last offset */ }
    }, 200);
  }

  /** The program-date-time on screen, or null before it is known. */
  programDateTime() {
    if (this.dvr) return this.dvr.programDateTime();
    if (this.low) return this.low.programDateTime();
    const start = this.video.getStartDate?.();
    if (start && !Number.isNaN(start.getTime()) && start.getTime() > 0) return new Date(start.getTime() + this.video.currentTime * 1000);
    return this.offset === null || this.nativeDvr ? null : new Date(this.video.currentTime * 1000 + this.offset);
  }

  /** Seconds the picture on screen is behind the wall clock (the chamber), or null while unknown. */
  behindLive() {
    const onScreen = this.programDateTime();
    return onScreen ? Math.max(0, (Date.now() - onScreen.getTime()) / 1000) : null;
  }
}

/** The wall-clock end of the newest complete segment of a media playlist. */
export function lastSegmentEnd(text) {
  const last = parseMedia(text, location.href).segments.findLast((segment) => segment.complete && segment.wall !== null);
  return last ? new Date(last.wall + last.duration * 1000) : null;
}

/** The first EXT-X-PROGRAM-DATE-TIME of a playlist (ms), without parsing the hours after it. */
export function firstProgramDateTime(text) {
  const match = /#EXT-X-PROGRAM-DATE-TIME:([^\s]+)/.exec(text);
  const wall = match ? Date.parse(match[1]) : NaN;
  return Number.isNaN(wall) ? null : wall;
}
