// Parses the HLS playlists SenateLive serves (RFC 8216bis with the Low-Latency extensions): enough for the
// bundled player, not a general-purpose parser. Pure functions, so they run in tests as they run in pages.

/** Attributes of a tag line (`#EXT-X-PART:DURATION=0.333,URI="5.1.m4s"`) as an object of strings. */
export function attributes(line) {
  const result = {};
  const text = line.slice(line.indexOf(":") + 1);
  for (const match of text.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) result[match[1]] = match[2].replace(/^"|"$/g, "");
  return result;
}

/** A multivariant playlist's variants: [{uri, name, bandwidth, codecs, resolution, height, frameRate, audioOnly}],
 * best first. `name` is the rendition's folder (`source`, `hevc`, `360p`, `audio`). The array also carries
 * `audio`: the playlist's audio renditions (see `parseAudioMedia`). */
export function parseMultivariant(text, base) {
  const variants = [];
  const lines = text.split("\n").map((line) => line.trim());
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("#EXT-X-STREAM-INF:")) continue;
    const tag = attributes(lines[i]);
    const uri = lines.slice(i + 1).find((line) => line && !line.startsWith("#"));
    if (!uri) continue;
    const codecs = tag.CODECS ?? "avc1.42E01E,mp4a.40.2";
    const href = new URL(uri, base).href;
    const resolution = tag.RESOLUTION ?? null;
    variants.push({
      uri: href, name: renditionName(href), bandwidth: parseInt(tag.BANDWIDTH ?? "0", 10), codecs, resolution,
      height: resolution ? parseInt(resolution.split("x")[1], 10) || null : null,
      frameRate: tag["FRAME-RATE"] ? parseFloat(tag["FRAME-RATE"]) : null,
      audioOnly: !/avc1|avc3|hvc1|hev1|av01|vp09/.test(codecs),
    });
  }
  variants.sort((a, b) => (a.audioOnly - b.audioOnly) || (b.bandwidth - a.bandwidth));
  variants.audio = parseAudioMedia(text, base);
  return variants;
}

/** A multivariant playlist's `EXT-X-MEDIA:TYPE=AUDIO` renditions, in playlist order:
 * [{name, language, groupId, default, autoselect, channels, uri, rendition}]. `uri` is null for the track
 * muxed into every variant (the floor); `rendition` is the folder of a separate one (`audio2`). */
export function parseAudioMedia(text, base) {
  const tracks = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("#EXT-X-MEDIA:")) continue;
    const tag = attributes(line);
    if (tag.TYPE !== "AUDIO") continue;
    const uri = tag.URI ? new URL(tag.URI, base).href : null;
    tracks.push({
      name: tag.NAME ?? tag.LANGUAGE ?? "", language: tag.LANGUAGE ?? null, groupId: tag["GROUP-ID"] ?? null,
      default: tag.DEFAULT === "YES", autoselect: tag.AUTOSELECT === "YES", channels: tag.CHANNELS ?? null,
      uri, rendition: uri ? renditionName(uri) : null,
    });
  }
  return tracks;
}

/** The rendition folder of a playlist URI: `…/live/senate/360p/index.m3u8` → `360p`. */
export function renditionName(uri) {
  const parts = new URL(uri, "http://x/").pathname.split("/").filter(Boolean);
  return parts.length >= 2 ? decodeURIComponent(parts.at(-2)) : "";
}

/** A media playlist's segments for a seek bar or a segment player: first and last wall-clock time (ms) of
 * the media listed, and the segment holding `wall` (the last segment at or before it), or null. */
export function segmentAt(playlist, wall) {
  const segments = playlist.segments.filter((segment) => segment.complete && segment.wall !== null);
  let found = null;
  for (const segment of segments) {
    if (segment.wall <= wall) found = segment; else break;
  }
  return found ?? segments[0] ?? null;
}

/** A live media playlist: its segments (with parts, program-date-time, init section), the preload hint
 * and the server-control values. Part and segment times are in wall-clock milliseconds. */
export function parseMedia(text, base) {
  const playlist = {
    mediaSequence: 0, discontinuitySequence: 0, targetDuration: 0, partTarget: 0, partHoldBack: null, canBlock: false,
    canSkipUntil: 0, skipped: 0, segments: [], hint: null, ended: false,
  };
  let init = null, wall = null, discontinuity = false, parts = [], msn = null;
  const open = () => {
    if (msn === null) msn = playlist.mediaSequence + playlist.skipped + playlist.segments.length;
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) playlist.mediaSequence = parseInt(line.slice(22), 10);
    else if (line.startsWith("#EXT-X-DISCONTINUITY-SEQUENCE:")) playlist.discontinuitySequence = parseInt(line.slice(30), 10);
    else if (line.startsWith("#EXT-X-TARGETDURATION:")) playlist.targetDuration = parseFloat(line.slice(22));
    else if (line.startsWith("#EXT-X-PART-INF:")) playlist.partTarget = parseFloat(attributes(line)["PART-TARGET"]);
    else if (line.startsWith("#EXT-X-SERVER-CONTROL:")) {
      const tag = attributes(line);
      playlist.canBlock = tag["CAN-BLOCK-RELOAD"] === "YES";
      playlist.canSkipUntil = parseFloat(tag["CAN-SKIP-UNTIL"] ?? "0");
      if (tag["PART-HOLD-BACK"]) playlist.partHoldBack = parseFloat(tag["PART-HOLD-BACK"]);
    } else if (line.startsWith("#EXT-X-SKIP:")) playlist.skipped = parseInt(attributes(line)["SKIPPED-SEGMENTS"], 10);
    else if (line.startsWith("#EXT-X-MAP:")) init = new URL(attributes(line).URI, base).href;
    else if (line.startsWith("#EXT-X-DISCONTINUITY") && !line.startsWith("#EXT-X-DISCONTINUITY-SEQUENCE")) discontinuity = true;
    else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) { open(); wall = Date.parse(line.slice(25)); }
    else if (line.startsWith("#EXT-X-PART:")) {
      open();
      const tag = attributes(line);
      const offset = parts.reduce((sum, part) => sum + part.duration, 0);
      parts.push({ index: parts.length, duration: parseFloat(tag.DURATION), uri: new URL(tag.URI, base).href, independent: tag.INDEPENDENT === "YES", wall: wall === null ? null : wall + offset * 1000 });
    } else if (line.startsWith("#EXTINF:")) {
      open();
      playlist.pendingDuration = parseFloat(line.slice(8));
    } else if (line.startsWith("#EXT-X-PRELOAD-HINT:")) {
      const tag = attributes(line);
      if (tag.TYPE === "PART") playlist.hint = new URL(tag.URI, base).href;
    } else if (line.startsWith("#EXT-X-ENDLIST")) playlist.ended = true;
    else if (!line.startsWith("#")) {
      open();
      playlist.segments.push({ msn, uri: new URL(line, base).href, duration: playlist.pendingDuration, wall, init, discontinuity, parts, complete: true });
      msn = null; wall = null; discontinuity = false; parts = [];
    }
  }
  if (parts.length) {
    // The open segment: parts so far, no URI yet.
    playlist.segments.push({ msn, uri: null, duration: parts.reduce((sum, part) => sum + part.duration, 0), wall, init, discontinuity, parts, complete: false });
  }
  delete playlist.pendingDuration;
  return playlist;
}

/** The msn and part index a URI like `…/12.3.m4s` names, or null. */
export function partName(uri) {
  const match = /\/(\d+)\.(\d+)\.m4s$/.exec(new URL(uri).pathname);
  return match ? { msn: parseInt(match[1], 10), part: parseInt(match[2], 10) } : null;
}
