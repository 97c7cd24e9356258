#!/usr/bin/env python3
"""Broadcast-style inputs, sent live as MPEG-TS over UDP the way a broadcast chain's encoder sends them, and
checked as the players on the other end see them.

usage: broadcast_check.py BASE_URL UDP_PORT KIND [DATA_DIR]

The server was started with channel `senate` reading udp://127.0.0.1:UDP_PORT (transcode: auto); this
script is the encoder. KIND is one of
  mpeg2      MPEG-2 video 720x576 25i + MP2 (a DVB SD feed)
  h264i_ac3  H.264 1920x1080 25i (interlaced) + AC-3
  h264_mp2   H.264 progressive with B-frames + MP2
  hevc_aac   HEVC + AAC
  two_audio  H.264 (B-frames) + two AAC tracks: the floor (language=tha, 440 Hz) and the interpretation
             (language=eng, 1000 Hz)
  bad        a stream with no audio or video at all, then a good MPEG-2 stream with a corrupt stretch;
             DATA_DIR (the server's data folder, which holds its log) is needed for this one
For a media kind it checks:
- the multivariant playlist, read with the independent `m3u8` parser: RFC 6381 CODECS that agree with what
  ffprobe finds in the media (profile and level included), FRAME-RATE 25 (frames after deinterlacing),
  RESOLUTION, BANDWIDTH, one EXT-X-MEDIA TYPE=AUDIO per input audio track with its LANGUAGE, a NAME, the
  floor DEFAULT=YES;
- every rendition's init section + newest segment with ffprobe: H.264 + AAC (HEVC for `hevc`, whose sample
  entry is `hvc1`, not `hev1`), progressive, 25 frames a second, decodes without an error, audio languages;
- GET /api/v1/channels/senate/input: each track's codec, language, action (copy / transcode) and reason;
- headless Chromium on the viewer page (/watch/senate): the picture and the sound play (currentTime
  advances, decoded video and audio bytes grow, and the tone heard, through a Web Audio analyser, is the
  floor's). For two_audio: English chosen with the page's language list (#audio-track) plays in the page's
  second <audio> element, the interpretation's rendition fetched, its tone heard, the picture going on and
  the floor muted; back to the floor; and a link with ?audio=en opens on English.
For `bad`: a data-only stream gets a clear log line, /healthz and /readyz answer, the channel says it is not
ready rather than failing; then a good MPEG-2 stream plays, and two seconds of corrupt pictures and sound
in it are logged and passed over: new segments follow and read as H.264 + AAC.
Prints one JSON line of measurements; exits non-zero with the reason on the first failed check.
"""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import m3u8

from senate_client import Server, browser, wait

BASE, PORT, KIND = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DATA_DIR = sys.argv[4] if len(sys.argv) > 4 else None
CHANNEL = f"{BASE}/live/senate"
server = Server(BASE)
measured = {"kind": KIND}

FLOOR_HZ, ENGLISH_HZ = 440, 1000
FLOOR_NAME, ENGLISH_NAME = "เสียงในห้องประชุม / Floor", "ล่ามภาษาอังกฤษ / English interpretation"  # hls.audioNames defaults

# Sources: a test picture and a tone per audio track. 25i is made the way a camera makes it: 50 pictures a
# second woven into 25 frames of two fields each (top field first), coded as interlaced.
def picture(size, rate=25):
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"]


def tone(hz):
    return ["-f", "lavfi", "-i", f"sine=frequency={hz}:sample_rate=48000"]


GOP = ["-g", "25", "-keyint_min", "25", "-sc_threshold", "0"]  # a keyframe every second
INTERLACED = ["-vf", "tinterlace=mode=interleave_top,setfield=tff", "-flags", "+ilme+ildct", "-top", "1"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"] + GOP
FLOOR_TAG = ["-metadata:s:a:0", "language=tha"]

KINDS = {
    "mpeg2": {
        "publish": picture("720x576", 50) + tone(FLOOR_HZ) + INTERLACED
        + ["-c:v", "mpeg2video", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "2M", "-pix_fmt", "yuv420p"] + GOP
        + ["-c:a", "mp2", "-b:a", "192k", "-ac", "2"] + FLOOR_TAG,
        "resolution": (720, 576),
        "tracks": [("video", "mpeg2video", "transcode"), ("audio", "mp2", "transcode")],
        "renditions": {"source": True, "audio": True},
    },
    "h264i_ac3": {
        "publish": picture("1920x1080", 50) + tone(FLOOR_HZ) + INTERLACED + X264 + ["-x264-params", "tff=1", "-b:v", "5M",
                                                                                   "-c:a", "ac3", "-b:a", "192k", "-ac", "2"] + FLOOR_TAG,
        "resolution": (1920, 1080),
        "tracks": [("video", "h264", "transcode"), ("audio", "ac3", "transcode")],
        "renditions": {"source": True, "audio": True},
    },
    "h264_mp2": {
        # B-frames, as a broadcast encoder sends (picture times differ from decode times; x265 below has them too).
        "publish": picture("640x360") + tone(FLOOR_HZ) + ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-pix_fmt", "yuv420p"] + GOP
        + ["-c:a", "mp2", "-b:a", "128k", "-ac", "2"] + FLOOR_TAG,
        "resolution": (640, 360),
        "tracks": [("video", "h264", "copy"), ("audio", "mp2", "transcode")],
        "renditions": {"source": None, "audio": True},  # None: the picture is copied, its sound is not
    },
    "hevc_aac": {
        "publish": picture("640x360") + tone(FLOOR_HZ)
        + ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-x265-params", "log-level=error:keyint=25:min-keyint=25:scenecut=0:repeat-headers=1"]
        + ["-c:a", "aac", "-b:a", "64k", "-ac", "2"] + FLOOR_TAG,
        "resolution": (640, 360),
        # Kept as `hevc` and made into H.264 for `source`.
        "tracks": [("video", "hevc", "copy+transcode"), ("audio", "aac", "copy")],
        "renditions": {"source": True, "hevc": False, "audio": False},
    },
    "two_audio": {
        # Everything copied: H.264 with B-frames, as a broadcast encoder sends it, and two AAC tracks.
        "publish": picture("640x360") + tone(FLOOR_HZ) + tone(ENGLISH_HZ) + ["-map", "0:v", "-map", "1:a", "-map", "2:a"]
        + ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-pix_fmt", "yuv420p"] + GOP
        + ["-c:a", "aac", "-b:a", "64k", "-ac", "2"] + FLOOR_TAG + ["-metadata:s:a:1", "language=eng"],
        "resolution": (640, 360),
        "tracks": [("video", "h264", "copy"), ("audio", "aac", "copy"), ("audio", "aac", "copy")],
        "renditions": {"source": False, "audio": False, "audio2": False},
    },
}

FFMPEG_NAMES = {"mpeg2video", "mp2", "mp3", "ac-3", "ac3", "ec-3", "eac3", "h264", "hevc", "h265", "aac", "opus", "mpeg4"}
RFC6381 = re.compile(r"^(avc1\.[0-9A-F]{6}|hvc1\.[ABC]?\d{1,2}\.[0-9A-F]{1,8}\.[LH]\d{1,3}(\.[0-9A-F]{1,2}){0,6}|mp4a\.40\.(2|5|29))$", re.I)
AVC_PROFILES = {"Baseline": 0x42, "Constrained Baseline": 0x42, "Main": 0x4D, "High": 0x64}


def publisher(arguments, port=PORT):
    """ffmpeg as a live encoder (real time), MPEG-TS over UDP. -t: it ends by itself should this script die."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re"] + arguments
                               + ["-t", "120", "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log
    return process


def ended_early(process):
    """None while the publisher runs, else what it said."""
    if process.poll() is None:
        return None
    process.log.seek(0)
    return f"the publisher exited ({process.returncode}): {process.log.read().decode(errors='replace')[-400:]}"


def get(url, timeout=20):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.status, reply.read()


def status_of(url):
    try:
        return get(url)[0]
    except urllib.error.HTTPError as error:
        return error.code


def attributes(line):
    return dict((key, value.strip('"')) for key, value in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))


# ---- the multivariant playlist ------------------------------------------------------------------------

def multivariant(expected_variants):
    """The multivariant playlist once it lists every rendition expected and each has two whole segments."""
    seen = {}

    def ready():
        status = status_of(f"{CHANNEL}/index.m3u8")
        seen["status"] = status
        if status != 200:
            return None
        playlist = m3u8.load(f"{CHANNEL}/index.m3u8")
        seen["variants"] = uris = [v.uri for v in playlist.playlists]
        if not all(f"{name}/index.m3u8" in uris for name in expected_variants):
            return None
        for media in [v.uri for v in playlist.playlists] + [m.uri for m in playlist.media if m.uri]:
            segments = len([s for s in m3u8.load(urllib.parse.urljoin(f"{CHANNEL}/", media)).segments if s.uri])
            seen.setdefault("segments", {})[media] = segments
            if segments < 2:
                return None
        return playlist
    try:
        playlist, seconds = wait(ready, 60, f"the multivariant playlist lists {expected_variants}, each with two segments")
    except AssertionError as error:
        dropped = [line for line in (server_log() if DATA_DIR else "").splitlines() if "rendition dropped" in line]
        raise AssertionError(f"{error}; last seen: {seen}; {dropped[:2]}") from None
    measured["readySeconds"] = round(seconds, 1)
    return playlist


def check_codecs_syntax(codecs, where):
    assert codecs, f"{where}: no CODECS"
    for codec in codecs.split(","):
        assert codec.strip().lower() not in FFMPEG_NAMES, f"{where}: CODECS has the FFmpeg name {codec!r}: {codecs}"
        assert RFC6381.match(codec.strip()), f"{where}: {codec!r} is not an RFC 6381 codec string ({codecs})"


def check_multivariant(playlist, spec, text):
    variants = {v.uri.split("/")[0]: v for v in playlist.playlists}
    measured["variants"] = {name: {"codecs": v.stream_info.codecs, "resolution": v.stream_info.resolution,
                                   "frameRate": v.stream_info.frame_rate, "bandwidth": v.stream_info.bandwidth,
                                   "averageBandwidth": v.stream_info.average_bandwidth} for name, v in variants.items()}
    video_variants = [name for name in spec["renditions"] if not name.startswith("audio")]
    assert list(variants)[:len(video_variants)] == video_variants, f"variant order {list(variants)}, expected {video_variants} first"
    assert "audio" in variants, f"no audio-only variant: {list(variants)}"
    for name, variant in variants.items():
        info = variant.stream_info
        check_codecs_syntax(info.codecs, f"variant {name}")
        assert info.bandwidth and info.bandwidth > 0, f"{name}: BANDWIDTH {info.bandwidth}"
        assert info.average_bandwidth is None or 0 < info.average_bandwidth <= info.bandwidth * 1.05, \
            f"{name}: AVERAGE-BANDWIDTH {info.average_bandwidth} against BANDWIDTH {info.bandwidth}"
        assert info.audio == "audio", f"{name}: AUDIO group {info.audio!r}"
        codecs = info.codecs.split(",")
        if name == "audio":
            assert codecs == ["mp4a.40.2"], f"the audio-only variant says CODECS={info.codecs}"
            assert info.resolution is None and info.frame_rate is None, f"the audio-only variant has video attributes: {info.resolution} {info.frame_rate}"
            continue
        video = "hvc1" if name == "hevc" else "avc1"
        assert len(codecs) == 2 and codecs[0].startswith(video + ".") and codecs[1] == "mp4a.40.2", f"{name}: CODECS={info.codecs}, expected {video}.… + mp4a.40.2"
        if video == "hvc1":
            assert codecs[0].startswith("hvc1.1.6."), f"HEVC Main is hvc1.1.6.L…: CODECS={info.codecs}"
        assert tuple(info.resolution or ()) == spec["resolution"], f"{name}: RESOLUTION={info.resolution}, expected {spec['resolution']}"
        assert info.frame_rate is not None and abs(info.frame_rate - 25) < 0.01, f"{name}: FRAME-RATE={info.frame_rate}, expected 25 (frames, after deinterlacing)"

    audio = [m for m in playlist.media if m.type == "AUDIO"]
    measured["audioMedia"] = [{"language": m.language, "name": m.name, "default": m.default, "uri": m.uri} for m in audio]
    expected_tracks = [t for t in spec["tracks"] if t[0] == "audio"]
    assert len(audio) == len(expected_tracks), f"{len(audio)} EXT-X-MEDIA TYPE=AUDIO for {len(expected_tracks)} audio tracks: {measured['audioMedia']}"
    assert all(m.group_id == "audio" for m in audio), [m.group_id for m in audio]
    floor = audio[0]
    assert floor.default == "YES" and floor.autoselect == "YES", f"the floor is not DEFAULT=YES,AUTOSELECT=YES: {measured['audioMedia']}"
    assert floor.uri is None, f"the floor is muxed in every variant, it has no URI of its own: {floor.uri}"
    assert floor.language == "th", f"the floor (language=tha) has LANGUAGE={floor.language!r}"
    assert floor.name == FLOOR_NAME, f"floor NAME={floor.name!r}"
    assert sum(1 for m in audio if m.default == "YES") == 1, f"more than one DEFAULT=YES: {measured['audioMedia']}"
    if len(audio) > 1:
        english = audio[1]
        assert english.language == "en", f"the interpretation (language=eng) has LANGUAGE={english.language!r}"
        assert english.name == ENGLISH_NAME, f"interpretation NAME={english.name!r}"
        assert english.default == "NO" and english.autoselect == "YES", measured["audioMedia"]
        assert english.uri == "audio2/index.m3u8", f"interpretation URI={english.uri!r}"
    for m in audio:
        assert m.channels == "2", f"{m.name}: CHANNELS={m.channels!r} for stereo"
    # The raw text too: no FFmpeg codec name anywhere in an attribute.
    for line in text.splitlines():
        if line.startswith("#EXT-X-STREAM-INF") and "CODECS" in attributes(line):
            check_codecs_syntax(attributes(line)["CODECS"], "raw line " + line)
    return variants, audio


# ---- the media ----------------------------------------------------------------------------------------

def newest_segment(rendition):
    playlist = m3u8.load(f"{CHANNEL}/{rendition}/index.m3u8")
    segment = [s for s in playlist.segments if s.uri][-1]
    assert segment.init_section is not None, f"{rendition}: no EXT-X-MAP"
    _, head = get(f"{CHANNEL}/{rendition}/{segment.init_section.uri}")
    _, body = get(f"{CHANNEL}/{rendition}/{segment.uri}")
    return segment, head, body


def ffprobe(data):
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        file.write(data)
        file.flush()
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                "stream=index,codec_type,codec_name,codec_tag_string,profile,level,width,height,field_order,channels,sample_rate:stream_tags=language",
                                "-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "json", file.name],
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode == 0 and not probe.stderr.strip(), f"ffprobe: {probe.stderr[-600:]}"
        decode = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", file.name, "-map", "0", "-f", "null", "-"],
                                capture_output=True, text=True, timeout=60)
        assert decode.returncode == 0 and not decode.stderr.strip(), f"decoding gave errors: {decode.stderr[-600:]}"
        return json.loads(probe.stdout)


def check_rendition(name, variant, spec):
    """`variant`: its EXT-X-STREAM-INF (None for an EXT-X-MEDIA rendition)."""
    segment, head, body = newest_segment(name)
    variant_codecs = variant.codecs if variant else "mp4a.40.2"
    probe = ffprobe(head + body)
    streams = probe["streams"]
    kinds = [s["codec_type"] for s in streams]
    video = [s for s in streams if s["codec_type"] == "video"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    summary = {"segment": segment.uri, "duration": segment.duration,
               "streams": [{k: s.get(k) for k in ("codec_name", "codec_tag_string", "profile", "level", "width", "height", "field_order")}
                           | {"language": s.get("tags", {}).get("language")} for s in streams],
               "bitsPerSecond": round(len(body) * 8 / segment.duration)}
    if variant and variant.average_bandwidth:
        # Measured, not a nominal figure: within a factor of two of what this segment actually carries.
        ratio = variant.average_bandwidth / summary["bitsPerSecond"]
        assert 0.5 < ratio < 2, f"{name}: AVERAGE-BANDWIDTH={variant.average_bandwidth}, the newest segment carries {summary['bitsPerSecond']} bit/s"
    if name.startswith("audio"):
        assert kinds == ["audio"], f"{name}: streams {kinds}, expected audio only"
    else:
        assert sorted(kinds) == ["audio", "video"], f"{name}: streams {kinds}, expected one video + one audio"
        v = video[0]
        wanted = "hevc" if name == "hevc" else "h264"
        assert v["codec_name"] == wanted, f"{name}: video is {v['codec_name']}, expected {wanted}"
        assert (v["width"], v["height"]) == spec["resolution"], f"{name}: {v['width']}x{v['height']}, expected {spec['resolution']}"
        assert v.get("field_order") in ("progressive", None, "unknown"), f"{name}: field_order {v.get('field_order')}: not deinterlaced"
        frames = [p for p in probe["packets"] if p["stream_index"] == v["index"]]
        rate = len(frames) / segment.duration
        summary["framesPerSecond"] = round(rate, 2)
        assert abs(len(frames) - 25 * segment.duration) <= 1.01, f"{name}: {len(frames)} frames in a {segment.duration} s segment ({rate:.1f}/s), expected 25/s"
        announced = variant_codecs.split(",")[0]
        if wanted == "h264":
            profile = AVC_PROFILES.get(v.get("profile"))
            expected = f"avc1.{profile:02X}" if profile else None
            assert expected and announced.upper().startswith(expected.upper()), f"{name}: CODECS says {announced}, the stream is H.264 {v.get('profile')}"
            assert int(announced[-2:], 16) == v.get("level"), f"{name}: CODECS says level {int(announced[-2:], 16)}, the stream has {v.get('level')}"
        else:
            assert b"hvc1" in head and b"hev1" not in head, f"hevc: the init's sample entry is not hvc1 ({b'hvc1' in head=}, {b'hev1' in head=})"
            assert v.get("codec_tag_string") == "hvc1", f"hevc: codec tag {v.get('codec_tag_string')}"
            assert re.search(rf"\.L{v.get('level')}(\.|$)", announced), f"hevc: CODECS says {announced}, the stream's level is {v.get('level')}"
    assert len(audio) == 1, f"{name}: {len(audio)} audio streams"
    if video:
        # Lip sync: the picture and the sound of a segment start together (a transcode may shift one of them).
        first = {index: min(float(p["pts_time"]) for p in probe["packets"] if p["stream_index"] == index) for index in (video[0]["index"], audio[0]["index"])}
        summary["audioStartsAfterVideo"] = round(first[audio[0]["index"]] - first[video[0]["index"]], 3)
        lead = summary["audioStartsAfterVideo"]
        assert abs(lead) < 0.1, f"{name}: in {segment.uri} the sound starts {abs(lead)} s {'after' if lead > 0 else 'before'} the picture"
    a = audio[0]
    assert a["codec_name"] == "aac" and a.get("profile") == "LC", f"{name}: audio is {a['codec_name']} {a.get('profile')}, expected AAC-LC"
    assert a.get("channels") == 2, f"{name}: {a.get('channels')} audio channels"
    language = a.get("tags", {}).get("language")
    wanted_language = "eng" if name == "audio2" else "tha"
    assert language == wanted_language, f"{name}: audio language {language!r}, expected {wanted_language}"
    return summary


def check_timeline(names):
    """Every rendition (variants and EXT-X-MEDIA) cuts the same segments: the same msn starts at the same
    EXT-X-PROGRAM-DATE-TIME (the viewer keeps an interpretation in step with the picture by it), and each is
    LL-HLS: parts, the first part of a video segment independent."""
    timelines = {}
    for name in names:
        playlist = m3u8.load(f"{CHANNEL}/{name}/index.m3u8")
        segments = [s for s in playlist.segments if s.uri]
        assert playlist.part_inf is not None and any(s.parts for s in playlist.segments), f"{name}: no LL-HLS parts"
        assert all(s.program_date_time for s in segments), f"{name}: a segment without EXT-X-PROGRAM-DATE-TIME"
        if not name.startswith("audio"):
            dependent = [s.uri for s in segments if s.parts and s.parts[0].independent != "YES"]
            assert not dependent, f"{name}: segments whose first part is not INDEPENDENT=YES: {dependent}"
        timelines[name] = {s.uri: s.program_date_time.timestamp() for s in segments}
    reference = timelines[names[0]]
    offsets = {}
    for name, timeline in timelines.items():
        common = sorted(set(reference) & set(timeline))
        assert common, f"{name} and {names[0]} list no segment in common: {sorted(timeline)} / {sorted(reference)}"
        offsets[name] = max((round(timeline[uri] - reference[uri], 3) for uri in common), key=abs)
    measured["programDateTimeOffsets"] = offsets
    apart = {name: offset for name, offset in offsets.items() if abs(offset) > 0.1}
    assert not apart, f"the same segment number starts at a different program-date-time than in {names[0]}: {apart} s"


# ---- the input API ------------------------------------------------------------------------------------

def check_input_api(spec):
    def described():
        status, body = server.http("GET", "/api/v1/channels/senate/input")
        return body if status == 200 and isinstance(body, dict) and (body.get("media") or {}).get("tracks") else None
    body, _ = wait(described, 20, "GET /api/v1/channels/senate/input describes the tracks")
    media = body["media"]
    measured["input"] = {"transcode": body.get("transcode"), "state": body.get("state"), "tracks": media["tracks"], "renditions": media.get("renditions")}
    assert body.get("transcode") == "auto", f"transcode policy {body.get('transcode')!r}"
    assert body.get("state") == "live", f"state {body.get('state')!r}"
    tracks = media["tracks"]
    assert len(tracks) == len(spec["tracks"]), f"{len(tracks)} tracks, expected {len(spec['tracks'])}: {tracks}"
    languages = ["tha", "eng"]
    audio_seen = 0
    for track, (kind, codec, action) in zip(tracks, spec["tracks"]):
        where = f"track {track.get('index')}"
        assert track.get("kind") == kind and track.get("codec") == codec, f"{where}: {track.get('kind')} {track.get('codec')}, expected {kind} {codec}"
        assert track.get("action") == action, f"{where} ({codec}): action {track.get('action')!r}, expected {action}"
        assert isinstance(track.get("reason"), str) and len(track["reason"]) > 5, f"{where}: a decision without a reason: {track}"
        assert track.get("output") == ("h264" if kind == "video" else "aac"), f"{where}: output {track.get('output')!r}"
        if DATA_DIR:  # the decision and its reason are logged too
            logged = [line for line in server_log().splitlines() if f"track {track['index']} (" in line and track["reason"] in line]
            assert logged and logged[-1].rstrip().endswith(action), f"{where}: no log line with the decision {action!r} and its reason {track['reason']!r}"
        if kind == "audio":
            assert track.get("language") == languages[audio_seen], f"{where}: language {track.get('language')!r}, expected {languages[audio_seen]}"
            audio_seen += 1
    renditions = {r["name"]: r for r in media.get("renditions") or []}
    assert set(renditions) >= set(spec["renditions"]), f"renditions {sorted(renditions)}, expected {sorted(spec['renditions'])}"
    for name, transcoded in spec["renditions"].items():
        if transcoded is not None:
            assert renditions[name].get("transcoded") is transcoded, f"rendition {name}: transcoded={renditions[name].get('transcoded')}, expected {transcoded}"
    return renditions


# ---- Chromium -----------------------------------------------------------------------------------------

# The viewer plays the floor in the <video> and an interpretation in a hidden <audio id="alt-audio"> kept in
# step with the picture (the <video> muted meanwhile). Both are sampled.
SAMPLE = """
  const v = document.getElementById('video'), p = window.senateLive && window.senateLive.player;
  const sound = (e) => e ? {t: e.currentTime, paused: e.paused, muted: e.muted, audioBytes: e.webkitAudioDecodedByteCount || 0,
                            error: e.error ? e.error.code + ' ' + e.error.message : null, tone: window.tonePeak ? window.tonePeak(e) : null} : null;
  return Object.assign(sound(v), {readyState: v.readyState, width: v.videoWidth, height: v.videoHeight,
          frames: v.webkitDecodedFrameCount, videoBytes: v.webkitVideoDecodedByteCount,
          variant: p && p.low && p.low.variant ? p.low.variant.uri : null, alt: sound(document.getElementById('alt-audio'))});"""

# Which tone is heard: each element's sound through an analyser (the elements and so these graphs stay when
# the page rebuilds a MediaSource). A muted element feeds the analyser silence: the viewer unmutes, as a
# person listening would.
LISTEN = """
  if (!window.tonePeak) {
    const context = new AudioContext(), analysers = new Map();
    window.tonePeak = (element) => {
      if (!analysers.has(element)) {
        const analyser = context.createAnalyser();
        analyser.fftSize = 8192;
        context.createMediaElementSource(element).connect(analyser);
        analyser.connect(context.destination);
        analysers.set(element, [analyser, new Float32Array(analyser.frequencyBinCount)]);
      }
      context.resume();
      const [analyser, bins] = analysers.get(element);
      analyser.getFloatFrequencyData(bins);
      let best = 0;
      for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
      return bins[best] > -90 ? Math.round(best * context.sampleRate / analyser.fftSize) : null;
    };
    for (const id of ['video', 'alt-audio']) { const e = document.getElementById(id); if (e) window.tonePeak(e); }
  }
  const v = document.getElementById('video');
  v.muted = false;
  v.volume = 1;
  return true;"""


def sample(driver):
    return driver.execute_script(SAMPLE)


def media_fetches(driver, rendition):
    return driver.execute_script("""
      return performance.getEntriesByType('resource').map(e => e.name)
        .filter(n => n.includes('/live/senate/' + arguments[0] + '/') && n.split('?')[0].endsWith('.m4s')).length;""", rendition)


def open_viewer(driver, query=""):
    driver.get(f"{BASE}/watch/senate{query}")
    driver.execute_script("performance.setResourceTimingBufferSize(100000)")
    driver.execute_script(LISTEN)


def heard(state, element):
    return (state["alt"] if element == "alt" else state) or {}


def check_plays(driver, what, width, hz, element="video"):
    """The picture goes on and the sound of `element` ("video": the floor, muxed in; "alt": the
    interpretation's <audio>) decodes, advances and is the tone `hz`, for three seconds."""
    wait(lambda: sample(driver)["t"] > 0.5 and heard(sample(driver), element).get("t", 0) > 0.5, 40, f"{what}: playback starts")
    before = sample(driver)
    tones = []
    for _ in range(12):
        time.sleep(0.25)
        tones.append(heard(sample(driver), element).get("tone"))
    after = sample(driver)
    sound_before, sound_after = heard(before, element), heard(after, element)
    result = {"currentTime": round(after["t"], 2), "advanced": round(after["t"] - before["t"], 2), "width": after["width"],
              "framesDecoded": after["frames"] - before["frames"], "videoBytes": after["videoBytes"] - before["videoBytes"],
              "soundAdvanced": round(sound_after["t"] - sound_before["t"], 2), "audioBytes": sound_after["audioBytes"] - sound_before["audioBytes"],
              "tones": tones, "variant": after["variant"], "videoMuted": after["muted"]}
    for state in (after, after["alt"]):
        assert not (state or {}).get("error"), f"{what}: media error {state['error']}"
    assert result["advanced"] > 1.5, f"{what}: currentTime advanced {result['advanced']} s in 3 s: {result}"
    if after["variant"] and after["variant"].endswith("/audio/index.m3u8"):
        why = driver.execute_script("const l = window.senateLive.player.low; return l ? {backlogs: l.backlogs, stats: l.stats} : null")
        listed = [v.uri for v in m3u8.load(f"{CHANNEL}/index.m3u8").playlists]
        dropped = [line for line in (server_log() if DATA_DIR else "").splitlines() if "rendition dropped" in line]
        raise AssertionError(f"{what}: the page plays sound only. The multivariant playlist lists {listed}; "
                             f"the server log: {dropped[:2] or 'no rendition dropped'}; the player: {why}")
    assert after["width"] == width, f"{what}: videoWidth {after['width']}, expected {width}"
    assert result["framesDecoded"] > 25 and result["videoBytes"] > 0, f"{what}: the picture does not decode: {result}"
    assert result["soundAdvanced"] > 1.5, f"{what}: the sound's currentTime advanced {result['soundAdvanced']} s in 3 s: {result}"
    assert result["audioBytes"] > 0, f"{what}: no audio decoded: {result}"
    matching = sum(1 for tone in tones if tone and abs(tone - hz) < 30)
    assert matching >= len(tones) // 2, f"{what}: heard {tones} Hz, expected {hz} Hz: {result}"
    return result


def audio_choice(driver):
    """The page's own language control, once it offers a choice; None if the page has none."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    if not driver.find_elements(By.ID, "audio-track"):
        return None
    control, _ = wait(lambda: (lambda found: found[0] if found and found[0].is_displayed() else None)(driver.find_elements(By.ID, "audio-track")),
                      15, "the viewer offers a choice of language (#audio-track shown)")
    return Select(control)


def choose(driver, language):
    """Picks `language` ("th", "en") with the page's control; returns what was clicked."""
    choice = audio_choice(driver)
    options = [(o.get_attribute("lang"), o.text) for o in choice.options]
    measured["languageChoices"] = options
    assert [lang for lang, _ in options] == ["th", "en"], f"the language list: {options}"
    assert [text for _, text in options] == [FLOOR_NAME, ENGLISH_NAME], f"the language names: {options}"
    choice.select_by_index([lang for lang, _ in options].index(language))
    return options[[lang for lang, _ in options].index(language)][1]


def check_browser(spec, variants, audio):
    driver = browser()
    width = spec["resolution"][0]
    try:
        open_viewer(driver)
        # What Chromium's Media Source makes of each CODECS: every H.264/AAC one is taken (HEVC is not, here).
        supported = {name: driver.execute_script("return MediaSource.isTypeSupported(arguments[0])",
                                                 f'{"audio" if name == "audio" else "video"}/mp4; codecs="{v.stream_info.codecs}"')
                     for name, v in variants.items()}
        measured["mediaSourceSupports"] = supported
        refused = [name for name, ok in supported.items() if not ok and "hvc1" not in variants[name].stream_info.codecs]
        assert not refused, f"Chromium's MediaSource refuses the CODECS of {refused}: {[variants[n].stream_info.codecs for n in refused]}"
        measured["browserFloor"] = check_plays(driver, "the floor", width, FLOOR_HZ)
        if len(audio) > 1:
            if audio_choice(driver) is None:
                # No language control on the page (yet): the URL's ?audio=en is all there is to check.
                measured["englishChosenBy"] = "?audio=en (the page has no #audio-track control)"
            else:
                measured["englishChosenBy"] = choose(driver, "en")
                fetched = media_fetches(driver, "audio2")
                wait(lambda: media_fetches(driver, "audio2") >= fetched + 2, 20, "the page fetches the interpretation's media once English is chosen")
                english = check_plays(driver, "the English interpretation", width, ENGLISH_HZ, element="alt")
                assert english["videoMuted"], f"the floor is not muted under the interpretation: {english}"
                measured["browserEnglish"] = english
                choose(driver, "th")
                measured["browserBackToFloor"] = check_plays(driver, "back to the floor", width, FLOOR_HZ)
            # A link to the English interpretation: ?audio=en.
            open_viewer(driver, "?audio=en")
            wait(lambda: media_fetches(driver, "audio2") >= 2, 30, "?audio=en fetches the interpretation's media")
            english = check_plays(driver, "?audio=en", width, ENGLISH_HZ, element="alt")
            english["audio2Fetches"] = media_fetches(driver, "audio2")
            measured["browserEnglishByLink"] = english
    except Exception:
        try:
            shot = os.path.join(tempfile.gettempdir(), f"broadcast-{KIND}-failure.png")
            driver.save_screenshot(shot)
            print(f"screenshot: {shot}; page state: {sample(driver)}", file=sys.stderr)
        except Exception:
            pass
        raise
    finally:
        driver.quit()


# ---- the bad input ------------------------------------------------------------------------------------

def server_log():
    assert DATA_DIR, "the bad kind needs DATA_DIR (the server's data folder, for its log)"
    return "".join(open(path, errors="replace").read() for path in glob.glob(os.path.join(DATA_DIR, "server-*.log")))


def data_only_ts():
    """MPEG-TS carrying one stream of opaque data (no audio, no video): a codec nothing can copy or decode."""
    path = os.path.join(tempfile.gettempdir(), f"broadcast-data-only-{os.getpid()}.ts")
    with open(path + ".bin", "wb") as file:
        file.write(os.urandom(1_500_000))
    made = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "data", "-i", path + ".bin",
                           "-map", "0", "-c", "copy", "-f", "mpegts", path], capture_output=True, text=True)
    os.unlink(path + ".bin")
    assert made.returncode == 0, made.stderr
    with open(path, "rb") as file:
        data = file.read()
    os.unlink(path)
    return data


def send_paced(data, seconds):
    """UDP datagrams of 7 TS packets, spread over `seconds` (a live sender's pace)."""
    chunks = [data[i:i + 1316] for i in range(0, len(data), 1316)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        start = time.time()
        for number, chunk in enumerate(chunks):
            sock.sendto(chunk, ("127.0.0.1", PORT))
            delay = start + seconds * number / len(chunks) - time.time()
            if delay > 0:
                time.sleep(delay)


class CorruptingRelay(threading.Thread):
    """Passes a publisher's datagrams on to the server; for `seconds` after corrupt() it overwrites the
    payload of every TS packet that continues a PES packet (TS and PES headers, tables and adaptation fields
    kept): the demuxer stays in step and hands the decoders pictures and sound full of garbage, a corrupt GOP."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.port, self.until, self.stopped, self.corrupted = self.sock.getsockname()[1], 0, False, 0

    def corrupt(self, seconds):
        self.until = time.time() + seconds

    @staticmethod
    def damaged(packet):
        if len(packet) != 188 or packet[0] != 0x47 or packet[1] & 0x40 or not packet[3] & 0x10:
            return packet  # not a TS packet, a PES (or table) start, or no payload
        start = 4 + (1 + packet[4] if packet[3] & 0x20 else 0)
        return packet[:start] + os.urandom(188 - start) if start < 188 else packet

    def run(self):
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while not self.stopped:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if time.time() < self.until:
                packets = [data[i:i + 188] for i in range(0, len(data), 188)]
                data = b"".join(self.damaged(p) for p in packets)
                self.corrupted += 1
            out.sendto(data, ("127.0.0.1", PORT))
        out.close()
        self.sock.close()


def check_bad():
    # 1. Nothing playable at all.
    send_paced(data_only_ts(), 6)
    def complained():
        lines = [line for line in server_log().splitlines() if "senate" in line and re.search(
            r"no (playable |usable )?(audio|video|media)|unsupported|not (be )?(decod|copi)|cannot|no stream|bin_data|data stream", line, re.I)]
        return lines
    lines, _ = wait(complained, 15, "a log line saying the input has nothing to play")
    measured["badInputLog"] = lines[:3]
    assert server_log().count("\n") < 2000, "the log is flooded"
    assert status_of(f"{BASE}/healthz") == 200, "/healthz"
    status, ready = server.http("GET", "/readyz")
    measured["readyz"] = ready
    assert status == 200, f"/readyz answered {status}: {ready}"
    playlist = status_of(f"{CHANNEL}/index.m3u8")
    assert playlist in (200, 503), f"/live/senate/index.m3u8 answered {playlist} while the input has nothing to play"
    status, body = server.http("GET", "/api/v1/channels/senate/input")
    assert status == 200, f"GET input: {status} {body}"
    measured["inputWhileBad"] = body
    time.sleep(3)  # the bad sender is gone: let the server notice before the next one starts

    # 2. A good stream (MPEG-2 + MP2: through the decoders and encoders): it plays. Then two seconds of it
    # corrupt: passed over, and playback goes on.
    relay = CorruptingRelay()
    relay.start()
    encoder = publisher(KINDS["mpeg2"]["publish"], port=relay.port)
    try:
        def newest():
            if status_of(f"{CHANNEL}/source/index.m3u8") != 200:
                return -1
            segments = [s for s in m3u8.load(f"{CHANNEL}/source/index.m3u8").segments if s.uri]
            return int(segments[-1].uri.split(".")[0]) if len(segments) >= 2 else -1
        _, seconds = wait(lambda: newest() >= 0, 40, "a good stream plays after the bad one")
        measured["goodAfterBadSeconds"] = round(seconds, 1)
        log_before = len(server_log())
        relay.corrupt(2)
        time.sleep(2.5)
        damaged = newest()
        wait(lambda: newest() >= damaged + 2, 20, f"two new segments after the corrupt stretch (newest was {damaged})")
        since = server_log()[log_before:].splitlines()
        said = [line for line in since if re.search(r" (warning|error) ", line) and re.search(r"mpeg2video|mp2|corrupt|conceal|damaged|decod|invalid", line, re.I)]
        measured["reopenedAfterCorruption"] = any("input opened" in line for line in since)
        measured["corruptLogLines"] = len(said)
        measured["corruptLogSample"] = said[:2]
        measured["corruptLogNamesChannel"] = any("channel=senate" in line for line in said)
        assert said, "two seconds of corrupt pictures and sound, and the log says nothing about it"
        measured["corruptDatagrams"] = relay.corrupted
        segment, head, body = newest_segment("source")
        probe = ffprobe(head + body)
        assert sorted(s["codec_name"] for s in probe["streams"]) == ["aac", "h264"], probe["streams"]
        assert not ended_early(encoder), ended_early(encoder)
        assert status_of(f"{BASE}/healthz") == 200
    finally:
        relay.stopped = True
        encoder.kill()
        encoder.wait()


# ---- main ---------------------------------------------------------------------------------------------

def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # a test runner's timeout: still clean up
    encoder = None
    failures = []

    def check(what, function, *arguments):
        """Runs one group of checks; a failure is kept and the next group runs, so one report says all."""
        try:
            return function(*arguments)
        except AssertionError as error:
            failures.append(f"{what}: {error}")

    try:
        if KIND == "bad":
            check_bad()
        else:
            spec = KINDS[KIND]
            started = time.time()
            encoder = publisher(spec["publish"])
            time.sleep(1)
            assert not ended_early(encoder), ended_early(encoder)
            playlist = multivariant([name for name in spec["renditions"] if not name.startswith("audio")] + ["audio"])
            _, raw = get(f"{CHANNEL}/index.m3u8")
            variants, audio = check_multivariant(playlist, spec, raw.decode())
            renditions = check("GET input", check_input_api, spec) or {}
            check("renditions in step", check_timeline, list(variants) + [media.uri.split("/")[0] for media in audio[1:]])
            measured["media"] = {}
            for name, variant in variants.items():
                measured["media"][name] = check("media", check_rendition, name, variant.stream_info, spec)
                announced = renditions.get(name, {}).get("codecs")
                if announced not in (None, variant.stream_info.codecs):
                    failures.append(f"rendition {name}: the API says codecs {announced}, the playlist {variant.stream_info.codecs}")
            for media in audio[1:]:
                name = media.uri.split("/")[0]
                measured["media"][name] = check("media", check_rendition, name, None, spec)
            check("Chromium", check_browser, spec, variants, audio)
            assert not ended_early(encoder), ended_early(encoder)
            # Every rendition kept up with real time to the end: none was dropped from the playlist.
            still = [v.uri.split("/")[0] for v in m3u8.load(f"{CHANNEL}/index.m3u8").playlists]
            dropped = [line for line in (server_log() if DATA_DIR else "").splitlines() if "rendition dropped" in line]
            assert still == list(variants) and not dropped, f"renditions at the end: {still} (at the start {list(variants)}); log: {dropped[:2]}"
            measured["seconds"] = round(time.time() - started, 1)
        assert not failures, "\n  ".join([f"{len(failures)} check(s) failed:"] + failures)
        print(json.dumps(measured, ensure_ascii=False))
    except Exception as error:
        print(json.dumps(measured, ensure_ascii=False), file=sys.stderr)
        print(f"FAILED ({KIND}): {error if isinstance(error, AssertionError) else f'{type(error).__name__}: {error}'}", file=sys.stderr)
        sys.exit(1)
    finally:
        if encoder:
            encoder.kill()  # never leave an encoder running after a failed check
            encoder.wait()


if __name__ == "__main__":
    main()
