// The interpretation (an EXT-X-MEDIA audio rendition with its own URI) beside the picture: the <video> keeps
// the picture of whichever rendition it plays, muted, and a hidden <audio> plays the interpretation on a
// second player (the Low-Latency one live, the DVR one rewound), kept in step with the picture by
// program-date-time: both renditions are cut from the same input clock, so equal wall-clock moments are
// the same instant of the sitting. The viewer's mute and volume (the video's own controls) go to it.
import { DvrPlayer } from "./dvr-player.js";
import { LowLatencyPlayer } from "./ll-player.js";

const tolerance = 0.15; // seconds of drift before a correction
const seekBeyond = 1;   // beyond this, a seek rather than a change of speed

export class Interpretation {
  /** `host`: the LivePlayer (its `track`, `mode`, `low`, `dvr`, `url` and `programDateTime()`). */
  constructor(host, audio) {
    this.host = host;
    this.video = host.video;
    this.audio = audio;
    this.player = null;  // the interpretation's player, on `audio`
    this.uri = null;     // the rendition it plays
    this.correction = 1; // the interpretation's speed relative to the picture's
    this.userMuted = this.video.muted;
    this.stats = { drift: null, syncSeeks: 0, syncNudges: 0 };
    this.video.addEventListener("volumechange", () => this.volumeChanged());
    for (const type of ["pause", "play"]) this.video.addEventListener(type, () => this.followPlayState());
    // The live player changes the picture's speed every few hundred ms to hold its place: the interpretation
    // follows each change at once, times its own correction.
    this.video.addEventListener("ratechange", () => { if (this.player) this.audio.playbackRate = (this.video.playbackRate || 1) * this.correction; });
  }

  /** Whether it plays beside the picture now: not when the <video> itself plays sound only (it then plays
   * the interpretation's own rendition), nor on the browser's own HLS player (which has audioTracks). */
  wanted() {
    const host = this.host;
    if (!host.track || host.mode === "native") return false;
    if (host.dvr) return !host.dvr.audioOnly;
    return Boolean(host.low?.variant && !host.low.variant.audioOnly);
  }

  start() {
    const host = this.host;
    if (host.dvr) {
      const leader = host.programDateTime();
      if (!leader) return;
      this.player = new DvrPlayer(this.audio, new URL(`${host.track.rendition}/dvr.m3u8`, host.url), { codecs: "mp4a.40.2", audioOnly: true });
      this.player.start(leader.getTime());
    } else {
      this.player = new LowLatencyPlayer(this.audio, null, { mediaUrl: host.track.uri, codecs: "mp4a.40.2", audioOnly: true, follower: true });
      this.player.start().catch(() => {});
    }
    this.uri = host.track.uri;
    this.applyMute();
  }

  stop() {
    if (!this.player) return;
    this.player.stop();
    this.player = null;
    this.uri = null;
    this.correction = 1;
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
    this.stats.drift = null;
    this.applyMute();
  }

  /** A seek of the rewound picture: the interpretation's DVR player goes there too. */
  seek(wall) {
    if (this.player instanceof DvrPlayer) this.player.seek(wall);
  }

  /** Every 250 ms: started or stopped as needed, and kept within `tolerance` of the picture: a change of
   * speed for a small drift, a seek for a large one. */
  tick() {
    const want = this.wanted();
    if (want && this.player && this.uri !== this.host.track.uri) this.stop();
    if (want && !this.player) this.start();
    if (!want && this.player) this.stop();
    if (!this.player) return;
    if (this.player instanceof LowLatencyPlayer) this.player.userPaused = this.video.paused;
    const leader = this.host.programDateTime(), own = this.player.programDateTime();
    if (!leader || !own || !this.audio.buffered.length) return;
    const drift = (own.getTime() - leader.getTime()) / 1000; // > 0: the sound is ahead of the picture
    this.stats.drift = Math.round(drift * 1000) / 1000;
    if (Math.abs(drift) > seekBeyond) {
      this.audio.currentTime = Math.max(0, this.audio.currentTime - drift);
      this.correction = 1;
      this.stats.syncSeeks++;
    } else if (Math.abs(drift) > tolerance) {
      const step = Math.abs(drift) > 0.4 ? 0.1 : 0.05; // pitch is kept (preservesPitch)
      if (this.correction === 1) this.stats.syncNudges++;
      this.correction = drift > 0 ? 1 - step : 1 + step;
    } else if (Math.abs(drift) < 0.04) {
      this.correction = 1;
    }
    const rate = (this.video.playbackRate || 1) * this.correction;
    if (this.audio.playbackRate !== rate) this.audio.playbackRate = rate;
    if (this.video.paused !== this.audio.paused) this.followPlayState();
  }

  followPlayState() {
    if (!this.player) return;
    if (this.video.paused) this.audio.pause(); else this.audio.play().catch(() => {});
  }

  /** While it plays, the picture's own sound (the floor) is muted and the viewer's mute and volume are the
   * interpretation's; otherwise they are the picture's again. */
  applyMute() {
    if (this.player) {
      if (!this.video.muted) this.video.muted = true;
      this.audio.muted = this.userMuted;
      this.audio.volume = this.video.volume;
    } else if (this.video.muted !== this.userMuted) {
      this.video.muted = this.userMuted;
    }
  }

  volumeChanged() {
    if (this.player) {
      // The picture is muted on purpose: the viewer's unmute (the video's own control) means the interpretation.
      if (!this.video.muted) { this.userMuted = false; this.video.muted = true; }
      this.audio.muted = this.userMuted;
      this.audio.volume = this.video.volume;
    } else {
      this.userMuted = this.video.muted;
    }
  }
}
