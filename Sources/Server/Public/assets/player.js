// Plays an HLS URL in a <video>: natively where the browser can (Safari, Chromium, Android), otherwise through
// the bundled MSE player (our playlists are fMP4/CMAF, which Media Source Extensions take as they are).
// Also tells which wall-clock moment is on screen, so events can follow the picture.
import { MsePlayer } from "./mse-player.js";

export class LivePlayer {
  constructor(video) {
    this.video = video;
    this.offset = null; // program-date-time minus video time, in ms, once known
    this.mse = null;
  }

  /** Plays `url` (a multivariant or media playlist). `?player=mse` in the page URL forces the MSE path. */
  play(url, mediaPlaylist) {
    this.mediaPlaylist = mediaPlaylist;
    this.mse?.stop();
    this.mse = null;
    const forced = new URLSearchParams(location.search).get("player") === "mse";
    if (!forced && this.video.canPlayType("application/vnd.apple.mpegurl")) {
      this.video.src = url;
    } else if (window.MediaSource) {
      this.mse = new MsePlayer(this.video, mediaPlaylist);
      this.mse.start();
    } else {
      throw new Error("this browser cannot play HLS");
    }
    this.video.play().catch(() => {}); // autoplay may need a click; the controls are there
    this.track();
  }

  /** Ties the video's clock to program-date-time. A native player that does not expose it (Chromium: no
   * getStartDate, no seekable range for live) appends whole segments as they appear, so each time its buffered
   * end grows we read the playlist: the newest complete segment is the one just appended, and its end in wall
   * time against the buffered end gives the offset between the two clocks. */
  track() {
    clearInterval(this.timer);
    this.offset = null;
    let seen = 0;
    this.timer = setInterval(async () => {
      const buffered = this.video.buffered;
      const end = buffered.length ? buffered.end(buffered.length - 1) : 0;
      if (end <= seen) return;
      seen = end;
      try {
        const response = await fetch(this.mediaPlaylist, { cache: "no-store" });
        const wall = response.ok ? lastSegmentEnd(await response.text()) : null;
        if (wall) this.offset = wall.getTime() - end * 1000;
      } catch { /* offline for a moment: keep the last offset */ }
    }, 200);
  }

  /** The program-date-time on screen, or null before it is known. */
  programDateTime() {
    const start = this.video.getStartDate?.();
    if (start && !Number.isNaN(start.getTime()) && start.getTime() > 0) return new Date(start.getTime() + this.video.currentTime * 1000);
    if (this.mse) return this.mse.programDateTime();
    return this.offset === null ? null : new Date(this.video.currentTime * 1000 + this.offset);
  }
}

/** The wall-clock end of the newest complete segment of a media playlist. */
export function lastSegmentEnd(text) {
  let wall = null, end = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) wall = new Date(line.slice(25));
    else if (line.startsWith("#EXTINF:") && wall) end = new Date(wall.getTime() + parseFloat(line.slice(8)) * 1000);
  }
  return end;
}
