// Reads the two numbers the player needs from fragmented MP4: each track's timescale (init section) and a
// fragment's decode start (moof/traf/tfdt). Enough box walking for CMAF; nothing is rewritten.

function* boxes(view, start, end) {
  let offset = start;
  while (offset + 8 <= end) {
    let size = view.getUint32(offset);
    const type = String.fromCharCode(view.getUint8(offset + 4), view.getUint8(offset + 5), view.getUint8(offset + 6), view.getUint8(offset + 7));
    let header = 8;
    if (size === 1) { size = Number(view.getBigUint64(offset + 8)); header = 16; } else if (size === 0) size = end - offset;
    if (size < header || offset + size > end) return;
    yield { type, start: offset + header, end: offset + size };
    offset += size;
  }
}

function child(view, box, type) {
  for (const inner of boxes(view, box.start, box.end)) if (inner.type === type) return inner;
  return null;
}

/** {trackId: {scale, video}} from an init section (moov/trak/tkhd + mdia/mdhd + mdia/hdlr). */
export function timescales(buffer) {
  const view = new DataView(buffer);
  const result = {};
  for (const moov of boxes(view, 0, view.byteLength)) {
    if (moov.type !== "moov") continue;
    for (const trak of boxes(view, moov.start, moov.end)) {
      if (trak.type !== "trak") continue;
      const tkhd = child(view, trak, "tkhd");
      const mdia = child(view, trak, "mdia");
      const mdhd = mdia && child(view, mdia, "mdhd"), hdlr = mdia && child(view, mdia, "hdlr");
      if (!tkhd || !mdhd) continue;
      const id = view.getUint32(tkhd.start + (view.getUint8(tkhd.start) === 1 ? 20 : 12));
      const handler = hdlr ? String.fromCharCode(...new Uint8Array(buffer, hdlr.start + 8, 4)) : "";
      result[id] = { scale: view.getUint32(mdhd.start + (view.getUint8(mdhd.start) === 1 ? 20 : 12)), video: handler === "vide" };
    }
  }
  return result;
}

/** The decode time (seconds) a fragment starts at: its video track's (program-date-time follows the picture),
 * else the earliest of its tracks; null when it has no tfdt. */
export function fragmentStart(buffer, tracks) {
  const view = new DataView(buffer);
  let earliest = null, video = null;
  for (const moof of boxes(view, 0, view.byteLength)) {
    if (moof.type !== "moof") continue;
    for (const traf of boxes(view, moof.start, moof.end)) {
      if (traf.type !== "traf") continue;
      const tfhd = child(view, traf, "tfhd"), tfdt = child(view, traf, "tfdt");
      if (!tfhd || !tfdt) continue;
      const track = tracks[view.getUint32(tfhd.start + 4)];
      if (!track) continue;
      const time = view.getUint8(tfdt.start) === 1 ? Number(view.getBigUint64(tfdt.start + 4)) : view.getUint32(tfdt.start + 4);
      const seconds = time / track.scale;
      if (track.video) video = seconds;
      if (earliest === null || seconds < earliest) earliest = seconds;
    }
    return video ?? earliest;
  }
  return video ?? earliest;
}
