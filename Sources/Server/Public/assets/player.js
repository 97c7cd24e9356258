// Plays a channel's live HLS in a <video>. Safari (and browsers with no Media Source Extensions) play it
// natively, parts included; every other browser gets the bundled Low-Latency player, because their own HLS
// support ignores parts and sits 10 s or more behind the chamber. `?player=native` or `?player=mse` in the
// page URL forces one. Also tells which wall-clock moment is on screen, so events can follow the picture.
import { parseMedia } from "./hls-playlist.js";
import { LowLatencyPlayer } from "./ll-player.js";

export class LivePlayer {
  constructor(video, { onStatus } = {}) {
    this.video = video;
    this.onStatus = onStatus ?? (() => {});
    this.offset = null; // native path: program-date-time minus video time, in ms, once known
    this.low = null;
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
    this.low?.stop();
    this.low = null;
    this.mode = LivePlayer.mode();
    if (this.mode === "mse") {
      this.low = new LowLatencyPlayer(this.video, this.url, { audioOnly, onStatus: this.onStatus });
      this.low.start().catch(() => this.onStatus("waiting"));
    } else {
      this.video.src = audioOnly ? new URL("audio/index.m3u8", this.url).href : this.url.href;
      this.track();
    }
    this.video.play().catch(() => {}); // autoplay may need a click; the controls are there
  }

  /** Switches between picture and sound only without reloading the page. */
  setAudioOnly(audioOnly) {
    if (this.low) { this.audioOnly = audioOnly; return this.low.setAudioOnly(audioOnly); }
    return this.play(this.url, { audioOnly });
  }

  /** Native path: ties the video's clock to program-date-time. A native player that does not expose it
   * appends whole segments as they appear, so each time its buffered end grows we read the playlist: the
   * newest complete segment is the one just appended, and its end in wall time against the buffered end
   * gives the offset between the two clocks. */
  track() {
    clearInterval(this.timer);
    this.offset = null;
    let seen = 0;
    const media = new URL(this.audioOnly ? "audio/index.m3u8" : "source/index.m3u8", this.url);
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
    if (this.low) return this.low.programDateTime();
    const start = this.video.getStartDate?.();
    if (start && !Number.isNaN(start.getTime()) && start.getTime() > 0) return new Date(start.getTime() + this.video.currentTime * 1000);
    return this.offset === null ? null : new Date(this.video.currentTime * 1000 + this.offset);
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
