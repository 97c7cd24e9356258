#!/usr/bin/env python3
"""Glass-to-glass latency as a viewer sees it (run it through Benchmarks/latency.sh).

An ffmpeg encoder draws the wall clock (time of day, UTC, milliseconds) into every frame it generates and
sends the stream live to the server; viewers of the server's HLS (Chromium's native player with
?player=native, the bundled MSE player with ?player=mse, ffmpeg as a client) are photographed and the
clock they show is read back with tesseract: glass-to-glass = when the picture was seen − the clock in it.
Also measured: how soon a blocking playlist reload answers after a part ends (LL-HLS part availability),
how far EXT-X-PROGRAM-DATE-TIME is from the clock in the segment's first frame, and how a viewer recovers
when the encoder goes away and comes back.

The clock. ffmpeg 5.1's drawtext has no wall clock with milliseconds (`localtime` has seconds), so the
encoder's filter chain stamps each frame with the wall clock as it passes (lavfi with -re generates a
frame when it is due, in real time) and draws that stamp:
    settb=1/1000, setpts='floor(mod(RTCTIME/1000,86400000))'    pts := ms since 00:00 UTC, now
    drawtext=text='%{pts\\:hms}'                                  HH:MM:SS.mmm of that pts
    setpts='N/(RATE*TB)'                                          the ordinary timeline again for the encoder
The usual alternative, `%{pts\\:hms\\:OFFSET}` with OFFSET = the encoder's start time, is behind by however
long ffmpeg takes from launch to its first frame (70–130 ms on this machine when idle, more when busy, and it
varies run to run); the RTCTIME stamp is taken per frame, so it neither starts off nor drifts. `calibrate`
checks both against the real clock: frames piped straight out of the filter chain, OCR'd, compared with
their arrival time. Expect one frame interval (40 ms) for RTCTIME: ffmpeg 5.1 hands a frame to the output
when the next one comes (the same holds inside the live encoder, so that frame counts as encoder delay).

Time of a screenshot: the middle of Selenium's element-screenshot call (~100 ms here), so a reading is
±50 ms. OCR input: the inside of the clock's black box, thresholded and inverted (dark digits on white),
tesseract --psm 7 with a digits/':'/'.' whitelist; Pillow converts PNGs when installed, ffmpeg otherwise.

Subcommands (latency.sh runs them; each prints one JSON line, the report prints the tables):
  calibrate --work DIR --out FILE
  run --base URL --token JWT --profile NAME --work DIR --out FILE --report-dir DIR [--environment "K=V …"]
  report FILE... [--calibration FILE] [--json PATH]        exits 1 when a target is missed

Environment (all optional; latency.sh documents them too):
  SAMPLES (60) screenshots per viewer, INTERVAL (0.5 s) between them, SETTLE (5 s) after playback starts,
  ONLY (native,mse,ffmpeg,parts,pdt,flap), FLAP (1: also the flap test), FLAP_GAP (5 s), FLAP_WATCH (30 s),
  FLAP_PLAYER (default: /watch/senate as the page picks | native | mse), SOURCE (udp|rtmp|srt),
  PDT_SEGMENTS (12), FFMPEG_WARMUP (5 s), ENCODER_PRESET (veryfast), ENCODER_OPTIONS (more ffmpeg output
  options, e.g. "-pes_payload_size 0"), TARGET_GLASS_P50 (2.0), TARGET_GLASS_P90 (3.0),
  TARGET_PART_P99_MS (50), TARGET_PDT_MS (100), TARGET_FLAP (3.0), TARGET_FFMPEG_P50 (none: informational),
  MIN_READABLE (0.9), REPORT (a copy of the JSON report)
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "Tests", "EndToEndTests", "Scripts")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
WIDTH, HEIGHT, RATE = 1280, 720, 25
# The clock: drawn at (40, 40), 96 px DejaVu Sans Mono Bold, a 16 px black box around it. Its box spans
# (24, 24)–(810, 128) of the 1280×720 picture; OCR reads the inside of the box (white digits on black).
CLOCK_X, CLOCK_Y, CLOCK_SIZE, CLOCK_BORDER = 40, 40, 96, 16
CLOCK_CROP = (30, 30, 804, 122)  # x0, y0, x1, y1 in picture pixels
CLOCK_PATTERN = re.compile(r"(\d{2}):?(\d{2}):?(\d{2})[.:,]?(\d{3})")

try:  # Pillow is optional: without it ffmpeg converts the screenshots to gray pixels
    from PIL import Image  # noqa: F401
    HAVE_PIL = True
except ImportError:
    HAVE_PIL = False


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name, default):
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_optional_float(name, default=None):
    value = os.environ.get(name, "").strip()
    if value.lower() in ("none", "off", "-"):
        return None
    return float(value) if value else default


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, fraction):
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(fraction * len(ordered) + 0.4999))))
    return ordered[rank - 1]


def rounded(value, digits=3):
    return None if value is None else round(value, digits)


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def clock_text(epoch):
    return time.strftime("%H:%M:%S", time.gmtime(epoch)) + f".{int(round(epoch * 1000)) % 1000:03d}"


def day_seconds_to_epoch(seconds_of_day, near):
    """The epoch time of `seconds_of_day` (UTC) nearest to the epoch time `near` (days roll over at midnight)."""
    midnight = near - (near % 86400)
    candidate = midnight + seconds_of_day
    if candidate - near > 43200:
        candidate -= 86400
    elif near - candidate > 43200:
        candidate += 86400
    return candidate


# --- the encoder ------------------------------------------------------------------------------------

def clock_filter(stamp_log=None, method="rtctime", offset=None):
    """The video filter chain that draws the clock (see the module docstring)."""
    draw = (f"drawtext=fontfile={FONT}:fontsize={CLOCK_SIZE}:fontcolor=white:box=1:boxcolor=black:"
            f"boxborderw={CLOCK_BORDER}:x={CLOCK_X}:y={CLOCK_Y}")
    if method == "offset":  # the alternative: pts since the start + the start time, for calibrate only
        return f"{draw}:text='%{{pts\\:hms\\:{offset:.3f}}}'"
    chain = ["settb=1/1000", "setpts='floor(mod(RTCTIME/1000\\,86400000))'"]
    if stamp_log:  # every frame's stamp into a file: the first frame of each encoder run, for the flap test
        chain += ["metadata=mode=add:key=clock:value=1", f"metadata=mode=print:direct=1:file={stamp_log}"]
    chain += [f"{draw}:text='%{{pts\\:hms}}'", f"setpts='N/({RATE}*TB)'"]
    return ",".join(chain)


def source_inputs():
    return ["-re", "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={RATE}",
            "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]


class Encoder:
    """The live encoder: testsrc2 with the clock + a sine, H.264 (zerolatency, a keyframe a second) + AAC,
    published over UDP (MPEG-TS), RTMP (FLV) or SRT (MPEG-TS) to a server input that listens."""

    def __init__(self, kind, port, work):
        self.kind, self.port, self.work = kind, port, work
        self.process, self.runs = None, []  # runs: [{launched, stampLog}]

    def output(self):
        if self.kind == "udp":
            return ["-f", "mpegts", f"udp://127.0.0.1:{self.port}?pkt_size=1316"]
        if self.kind == "rtmp":
            return ["-f", "flv", f"rtmp://127.0.0.1:{self.port}/live/x"]
        if self.kind == "srt":
            return ["-f", "mpegts", f"srt://127.0.0.1:{self.port}?mode=caller&pkt_size=1316"]
        raise ValueError(self.kind)

    def server_input(self):
        """The body of PUT /api/v1/channels/{channel}/input that listens for this encoder."""
        if self.kind == "udp":
            return {"url": f"udp://127.0.0.1:{self.port}"}
        if self.kind == "rtmp":
            return {"url": f"rtmp://127.0.0.1:{self.port}/live/x", "options": {"listen": "1"}}
        return {"url": f"srt://127.0.0.1:{self.port}?mode=listener"}

    def start(self, deadline=30):
        """Starts the encoder; an RTMP/SRT publisher that finds no listener yet (the server reopens its input
        with a backoff) exits at once, so it is started again until it stays up."""
        give_up = time.time() + deadline
        while True:
            index = len(self.runs)
            stamp_log = os.path.join(self.work, f"encoder-{index}.stamps")
            stderr = open(os.path.join(self.work, f"encoder-{index}.log"), "w")
            command = (["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning"] + source_inputs() +
                       ["-vf", clock_filter(stamp_log), "-c:v", "libx264", "-preset", os.environ.get("ENCODER_PRESET", "veryfast"),
                        "-tune", "zerolatency", "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", str(RATE), "-keyint_min", str(RATE),
                        "-sc_threshold", "0", "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "2500k",
                        "-c:a", "aac", "-b:a", "96k", "-ar", "48000"] + os.environ.get("ENCODER_OPTIONS", "").split() + self.output())
            launched = time.time()
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
            stderr.close()
            self.runs.append({"launched": launched, "stampLog": stamp_log})
            try:
                self.process.wait(2.0 if self.kind != "udp" else 0.3)
            except subprocess.TimeoutExpired:
                return
            if time.time() > give_up:
                raise RuntimeError(f"the encoder does not stay up (see {self.work}/encoder-{index}.log)")
            time.sleep(0.3)

    def kill(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return time.time()

    def first_stamp(self, run=-1):
        """The clock drawn into the first frame of a run (epoch seconds), or None."""
        entry = self.runs[run]
        try:
            with open(entry["stampLog"]) as lines:
                for line in lines:
                    match = re.search(r"\bpts:(\d+)", line)  # ms since midnight (pts_time has one decimal only)
                    if match:
                        return day_seconds_to_epoch(int(match.group(1)) / 1000, entry["launched"])
        except OSError:
            pass
        return None


# --- OCR ----------------------------------------------------------------------------------------------

def png_size(png):
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def pngs_to_gray(pngs, work):
    """[(width, height, 8-bit gray bytes)] of PNG images: Pillow when there, else one ffmpeg per image size."""
    if HAVE_PIL:
        import io
        from PIL import Image
        out = []
        for png in pngs:
            image = Image.open(io.BytesIO(png)).convert("L")
            out.append((image.width, image.height, image.tobytes()))
        return out
    out = [None] * len(pngs)
    groups = {}
    for index, png in enumerate(pngs):
        groups.setdefault(png_size(png), []).append(index)
    for group, ((width, height), indexes) in enumerate(groups.items()):
        folder = os.path.join(work, f"gray-{os.getpid()}-{group}")
        os.makedirs(folder, exist_ok=True)
        for number, index in enumerate(indexes):
            with open(os.path.join(folder, f"{number:05d}.png"), "wb") as file:
                file.write(pngs[index])
        raw = subprocess.run(["nice", "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "image2", "-i", os.path.join(folder, "%05d.png"),
                              "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
        size = width * height
        for number, index in enumerate(indexes):
            out[index] = (width, height, raw[number * size:(number + 1) * size])
        shutil.rmtree(folder, ignore_errors=True)
    return out


def crop(gray, box):
    width, height, data = gray
    x0, y0, x1, y1 = (max(0, int(round(v))) for v in box)
    x1, y1 = min(width, x1), min(height, y1)
    return (x1 - x0, y1 - y0, b"".join(data[y * width + x0:y * width + x1] for y in range(y0, y1)))


def clock_box(width, height, video_width=WIDTH, video_height=HEIGHT):
    """Where the clock is in a picture of width×height that shows the video scaled to fit (object-fit: contain)."""
    scale = min(width / video_width, height / video_height)
    left, top = (width - video_width * scale) / 2, (height - video_height * scale) / 2
    x0, y0, x1, y1 = CLOCK_CROP
    return (left + x0 * scale, top + y0 * scale, left + x1 * scale, top + y1 * scale)


THRESHOLD = bytes(0 if value > 128 else 255 for value in range(256))  # white digits → black on white


def ocr_input(gray, pad=12):
    """A PGM for tesseract: thresholded, inverted (dark text on white), with a white margin; upscaled 2× when
    the digits are small."""
    width, height, data = gray
    data = data.translate(THRESHOLD)
    if height < 60:  # small digits: nearest-neighbour 2×
        rows = [data[y * width:(y + 1) * width] for y in range(height)]
        doubled = [bytes(b for b in row for _ in (0, 1)) for row in rows]
        data = b"".join(row for row in doubled for _ in (0, 1))
        width, height = width * 2, height * 2
    blank = b"\xff" * (width + 2 * pad)
    body = b"".join(b"\xff" * pad + data[y * width:(y + 1) * width] + b"\xff" * pad for y in range(height))
    return (width + 2 * pad, height + 2 * pad, blank * pad + body + blank * pad)


def write_pgm(path, gray):
    width, height, data = gray
    with open(path, "wb") as file:
        file.write(f"P5\n{width} {height}\n255\n".encode() + data)


def write_png(path, gray, work):
    """A gray image as PNG (for the report folder)."""
    pgm = os.path.join(work, f"tmp-{os.getpid()}.pgm")
    write_pgm(pgm, gray)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", pgm, path], check=False)
    os.remove(pgm)


def parse_clock(text):
    """Seconds since midnight of an OCR'd HH:MM:SS.mmm, or None."""
    compact = re.sub(r"\s+", "", text)
    match = CLOCK_PATTERN.search(compact)
    if not match:
        digits = re.sub(r"\D", "", compact)
        if len(digits) != 9:
            return None
        match = CLOCK_PATTERN.match(digits)
        if not match:
            return None
    hours, minutes, seconds, millis = (int(group) for group in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def ocr(crops, work):
    """[(text, seconds of day or None)] of clock crops (gray), one tesseract for all of them."""
    if not crops:
        return []
    folder = os.path.join(work, f"ocr-{os.getpid()}-{time.time_ns()}")
    os.makedirs(folder)
    paths = []
    for index, gray in enumerate(crops):
        path = os.path.join(folder, f"{index:05d}.pgm")
        write_pgm(path, ocr_input(gray))
        paths.append(path)
    listing = os.path.join(folder, "list.txt")
    with open(listing, "w") as file:
        file.write("\n".join(paths) + "\n")
    arguments = ["--psm", "7", "--dpi", "300", "-c", "tessedit_char_whitelist=0123456789:."]
    environment = dict(os.environ, OMP_THREAD_LIMIT="1")
    result = subprocess.run(["nice", "tesseract", listing, "stdout", *arguments], capture_output=True, text=True, env=environment)
    pages = result.stdout.split("\f")
    if len(pages) >= len(paths) and (len(pages) == len(paths) or not "".join(pages[len(paths):]).strip()):
        texts = [page.strip() for page in pages[:len(paths)]]
    else:  # a batch that lost pages: one at a time
        texts = [subprocess.run(["nice", "tesseract", path, "stdout", *arguments], capture_output=True, text=True, env=environment).stdout.strip()
                 for path in paths]
    shutil.rmtree(folder, ignore_errors=True)
    return [(text, parse_clock(text)) for text in texts]


def read_clocks(samples, crops, work, plausible=(-2.0, 600.0)):
    """Fills each sample's `clock` (epoch seconds) and `latency` from its crop; a reading that would put the
    picture more than 2 s in the future or 10 minutes in the past is a misread."""
    for sample, (text, seconds) in zip(samples, ocr(crops, work)):
        sample["ocr"] = text
        sample["clock"] = sample["latency"] = None
        if seconds is None:
            continue
        clock = day_seconds_to_epoch(seconds, sample["t"])
        latency = sample["t"] - clock
        if plausible[0] <= latency <= plausible[1]:
            sample["clock"], sample["latency"] = clock, latency
        else:
            sample["misread"] = True


def jumps_back(samples, tolerance=0.1):
    """Samples whose clock is earlier than the previous readable sample's by more than `tolerance`."""
    count, previous = 0, None
    for sample in samples:
        if sample.get("clock") is None:
            continue
        if previous is not None and sample["clock"] < previous - tolerance:
            count += 1
            sample["jumpBack"] = True
        previous = sample["clock"]
    return count


def summarize(samples, jump_tolerance=0.1):
    latencies = [s["latency"] for s in samples if s.get("latency") is not None]
    return {
        "samples": len(samples), "readable": len(latencies), "unreadable": len(samples) - len(latencies),
        "misread": sum(1 for s in samples if s.get("misread")),
        "readableRatio": rounded(len(latencies) / len(samples) if samples else 0.0),
        "p50": rounded(percentile(latencies, 0.5)), "p90": rounded(percentile(latencies, 0.9)),
        "min": rounded(min(latencies) if latencies else None), "max": rounded(max(latencies) if latencies else None),
        "jumpsBack": jumps_back(samples, jump_tolerance),
        "repeats": sum(1 for a, b in zip([s for s in samples if s.get("clock")], [s for s in samples if s.get("clock")][1:])
                       if abs(a["clock"] - b["clock"]) < 0.001),
    }


# --- calibrate: the clock against the real clock ---------------------------------------------------------

def pipe_frames(command, frame_bytes, count, timeout, every=1):
    """Runs an ffmpeg that writes raw frames of frame_bytes to stdout; [(arrival time, bytes)] of every
    `every`th frame, `count` of them (arrival = when the last byte of the frame was read). ffmpeg gets every
    frame and this keeps some: a `select` filter would make ffmpeg 5.1 hold each output frame until the next
    selected one (its video sync waits for the next frame), a delay of a whole output interval."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    frames, buffer, deadline, seen = [], b"", time.time() + timeout, 0
    descriptor = process.stdout.fileno()
    os.set_blocking(descriptor, True)
    try:
        while len(frames) < count and time.time() < deadline:
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            now = time.time()
            while len(buffer) >= frame_bytes:
                if seen % every == 0:
                    frames.append((now, buffer[:frame_bytes]))
                seen += 1
                buffer = buffer[frame_bytes:]
    finally:
        process.kill()
        _, err = process.communicate()
    return frames, err.decode(errors="replace")


def raw_crop_filter():
    x0, y0, x1, y1 = CLOCK_CROP
    return f"crop={x1 - x0}:{y1 - y0}:{x0}:{y0}", (x1 - x0, y1 - y0)


def calibrate(args):
    """Frames straight out of the encoder's filter chain (no network, no player), OCR'd on arrival: the clock
    must agree with the real clock to a few ms. The OFFSET method is measured for comparison."""
    crop_filter, (width, height) = raw_crop_filter()
    result = {}
    for method in ("rtctime", "offset"):
        launched = time.time()
        chain = clock_filter(method=method, offset=launched % 86400) if method == "offset" else clock_filter()
        command = (["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={RATE}",
                    "-vf", f"{chain},{crop_filter}", "-flush_packets", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        frames, err = pipe_frames(command, width * height, 20, 15, every=5)
        samples = [{"t": t} for t, _ in frames]
        read_clocks(samples, [(width, height, data) for _, data in frames], args.work)
        errors = [s["latency"] for s in samples if s["latency"] is not None]
        result[method] = {"frames": len(samples), "readable": len(errors),
                          "arrivalMinusClockMs": {"p50": rounded(percentile(errors, 0.5) * 1000 if errors else None, 1),
                                                  "min": rounded(min(errors) * 1000 if errors else None, 1),
                                                  "max": rounded(max(errors) * 1000 if errors else None, 1)},
                          "error": err.strip()[-300:] or None}
        log(f"calibrate {method}: {result[method]}")
    rtc = result["rtctime"]["arrivalMinusClockMs"]
    # ffmpeg hands a frame on when the next one comes (see pipe_frames): one frame interval is expected here.
    result["ok"] = bool(result["rtctime"]["readable"] >= 0.9 * max(1, result["rtctime"]["frames"]) and rtc["p50"] is not None
                        and -5 <= rtc["p50"] <= 1000 / RATE + 25)
    with open(args.out, "w") as file:
        json.dump(result, file, indent=1)
    print(json.dumps(result))


# --- the server's playlists -----------------------------------------------------------------------------

def parse_time(text):
    return datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()


def attributes(text):
    return {key: value.strip('"') for key, value in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text)}


def parse_media_playlist(text):
    """Segments [{msn, pdt, duration, uri, map, discontinuity, parts: [{duration, uri, independent}], complete}]."""
    segments, msn, map_uri = [], 0, None
    current = {"parts": [], "pdt": None, "discontinuity": False}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            msn = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MAP:"):
            map_uri = attributes(line.split(":", 1)[1]).get("URI")
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            current["pdt"] = parse_time(line.split(":", 1)[1])
        elif line == "#EXT-X-DISCONTINUITY":
            current["discontinuity"] = True
        elif line.startswith("#EXT-X-PART:"):
            values = attributes(line.split(":", 1)[1])
            current["parts"].append({"duration": float(values["DURATION"]), "uri": values.get("URI"),
                                     "independent": values.get("INDEPENDENT") == "YES"})
        elif line.startswith("#EXTINF:"):
            current["duration"] = float(line.split(":", 1)[1].split(",")[0])
        elif line and not line.startswith("#"):
            segments.append(dict(current, msn=msn, uri=line, map=map_uri, complete=True))
            msn += 1
            current = {"parts": [], "pdt": None, "discontinuity": False}
    if current["parts"]:
        segments.append(dict(current, msn=msn, uri=None, map=map_uri, complete=False))
    for previous, segment in zip(segments, segments[1:]):  # a segment without a PDT follows its predecessor
        if segment["pdt"] is None and previous["pdt"] is not None and not segment["discontinuity"]:
            segment["pdt"] = previous["pdt"] + previous.get("duration", sum(p["duration"] for p in previous["parts"]))
    return segments


class PlaylistMonitor(threading.Thread):
    """An independent LL-HLS client: blocking reloads for the next part each time; for each answer, delay =
    answer time − the part's end in program-date-time. Also keeps each segment's PDT and init section for the
    PDT check."""

    def __init__(self, base, path="/live/senate/source/index.m3u8"):
        self.last_age = float("nan")
        super().__init__(daemon=True)
        parsed = urllib.parse.urlparse(base)
        self.host, self.port, self.path = parsed.hostname, parsed.port, path
        self.stop_event = threading.Event()
        self.samples, self.segments, self.errors, self.late, self.answers = [], {}, [], [], []
        self.lock = threading.Lock()

    def request(self, connection, query=""):
        connection.request("GET", self.path + query)
        response = connection.getresponse()
        body = response.read().decode()
        # The server's own figure: milliseconds from the newest part's cut to this answer (X-Part-Age-Ms).
        self.last_age = float(response.getheader("X-Part-Age-Ms") or "nan")
        return response.status, body, time.time()

    def remember(self, segments):
        with self.lock:
            for segment in segments:
                if segment["complete"] and segment["pdt"] is not None:
                    self.segments[segment["msn"]] = {"pdt": segment["pdt"], "duration": segment["duration"], "uri": segment["uri"],
                                                     "map": segment["map"], "discontinuity": segment["discontinuity"]}

    def run(self):
        connection, target = None, None
        while not self.stop_event.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if target is None:  # (re)start at the live edge: the part after the newest one
                    status, body, _ = self.request(connection)
                    segments = parse_media_playlist(body) if status == 200 else []
                    with_parts = [s for s in segments if s["parts"]]
                    if not with_parts:
                        time.sleep(0.5)
                        continue
                    self.remember(segments)
                    target = (with_parts[-1]["msn"], len(with_parts[-1]["parts"]))
                msn, part = target
                sent = time.time()
                status, body, answered = self.request(connection, f"?_HLS_msn={msn}&_HLS_part={part}")
                if status != 200:
                    self.errors.append(f"{status} for {msn}.{part}")
                    target = None
                    time.sleep(0.2)
                    continue
                segments = {s["msn"]: s for s in parse_media_playlist(body)}
                self.remember(segments.values())
                found = None
                segment = segments.get(msn)
                if segment and len(segment["parts"]) > part:
                    found = (msn, part)
                elif segment and segment["complete"] and msn + 1 in segments and segments[msn + 1]["parts"]:
                    found = (msn + 1, 0)  # asked past a segment's last part: that is part 0 of the next (RFC 8216bis)
                if found is None:
                    self.errors.append(f"the answer to {msn}.{part} does not list it")
                    target = None
                    continue
                segment = segments[found[0]]
                if segment["pdt"] is None or segment["discontinuity"] and found[1] == 0 and not segment["parts"][0]["independent"]:
                    target = (found[0], found[1] + 1)
                    continue
                end = segment["pdt"] + sum(p["duration"] for p in segment["parts"][:found[1] + 1])
                self.answers.append({"msn": found[0], "part": found[1], "answered": answered, "end": end})
                if sent <= end:  # the request waited for the part: the answer time is the server's doing
                    self.samples.append({"msn": found[0], "part": found[1], "sent": sent, "answered": answered, "end": end,
                                         "delay": answered - end, "duration": segment["parts"][found[1]]["duration"],
                                         "serverMs": self.last_age if found == (max(segments), len(segments[max(segments)]["parts"]) - 1) else float("nan")})
                else:
                    self.late.append(segment["parts"][found[1]]["duration"])
                target = (found[0], found[1] + 1)
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                self.errors.append(f"{type(error).__name__}: {error}")
                connection, target = None, None
                time.sleep(0.5)

    def stop(self):
        self.stop_event.set()
        self.join(40)


# --- viewers --------------------------------------------------------------------------------------------

GEOMETRY_JS = """
const v = document.getElementById('video'); if (!v) return null;
const r = v.getBoundingClientRect();
const p = window.senateLive && window.senateLive.player;
const mode = p ? (p.mode || (p.mse || p.low ? 'mse' : 'native')) : null;
return {width: r.width, height: r.height, videoWidth: v.videoWidth, videoHeight: v.videoHeight, dpr: window.devicePixelRatio,
        mse: mode === 'mse', mode: mode};
"""

STATE_JS = """
const v = document.getElementById('video'); if (!v) return null;
let pdt = null;
try { const d = window.senateLive.player.programDateTime(); pdt = d ? d.getTime() / 1000 : null; } catch (e) {}
const b = v.buffered;
return {currentTime: v.currentTime, readyState: v.readyState, paused: v.paused, error: v.error ? v.error.code : null,
        bufferedEnd: b.length ? b.end(b.length - 1) : null, playerPdt: pdt, decoded: v.webkitDecodedFrameCount};
"""


def open_browser():
    sys.path.insert(0, SCRIPTS)
    from senate_client import browser
    return browser()


def start_watching(driver, url, timeout=45, attempts=3):
    """Opens the page and waits until the video plays (currentTime advancing): (seconds from the last page
    load, [failed attempts]). A video element that reports an error gets the page loaded again."""
    failures = []
    for _ in range(attempts):
        started = time.time()
        driver.get(url)
        first = None
        while time.time() - started < timeout:
            state = driver.execute_script(STATE_JS) or {}
            if state.get("error"):
                message = driver.execute_script("const v = document.getElementById('video'); return v.error && v.error.message")
                failures.append(f"video error {state['error']} ({message}) {time.time() - started:.1f} s after opening")
                break
            if state.get("currentTime") and state["currentTime"] > 0.3 and not state["paused"]:
                if first is None:
                    first = state["currentTime"]
                elif state["currentTime"] > first + 0.3:
                    return time.time() - started, failures
            time.sleep(0.2)
        else:
            failures.append(f"not playing {timeout} s after opening (state {driver.execute_script(STATE_JS)})")
        log(f"{url}: {failures[-1]}; loading the page again")
        time.sleep(2)
    raise RuntimeError(f"{url} did not play: {'; '.join(failures)}")


def screenshots(driver, count, interval, stop=None, into=None):
    """`count` screenshots of the <video> `interval` s apart (or until `stop` is set); each with the wall time of
    the middle of the capture call and the player's own state right after it. `stop`: an Event that ends it;
    `into`: a list to append to as they are taken (read by another thread)."""
    from selenium.webdriver.common.by import By
    element = driver.find_element(By.ID, "video")
    shots, next_at = (into if into is not None else []), time.time()
    while len(shots) < count and not (stop and stop.is_set()):
        before = time.time()
        png = element.screenshot_as_png
        after = time.time()
        state = driver.execute_script(STATE_JS)
        shots.append({"t": (before + after) / 2, "callMs": round((after - before) * 1000, 1), "png": png, "state": state})
        next_at += interval
        time.sleep(max(0.0, next_at - time.time()))
    return shots


def crops_of_shots(shots, work):
    grays = pngs_to_gray([shot["png"] for shot in shots], work)
    return [crop(gray, clock_box(gray[0], gray[1])) for gray in grays]


def save_examples(name, shots, crops, report_dir, work):
    """One readable screenshot and its OCR crop (the OCR's input), and up to three unreadable crops."""
    readable = [i for i, s in enumerate(shots) if s.get("clock") is not None]
    if readable:
        index = readable[len(readable) // 2]
        if "png" in shots[index]:
            with open(os.path.join(report_dir, f"{name}-screenshot.png"), "wb") as file:
                file.write(shots[index]["png"])
        write_png(os.path.join(report_dir, f"{name}-crop.png"), ocr_input(crops[index]), work)
    for number, index in enumerate([i for i, s in enumerate(shots) if s.get("clock") is None][:3]):
        write_png(os.path.join(report_dir, f"{name}-unreadable-{number}.png"), ocr_input(crops[index]), work)


def viewer_row(driver, base, name, query, settings, report_dir, work):
    url = f"{base}/watch/senate{query}"
    startup, failures = start_watching(driver, url)
    geometry = driver.execute_script(GEOMETRY_JS)
    time.sleep(settings["settle"])
    log(f"{name}: playing after {startup:.1f} s ({geometry['mode']} player), {settings['samples']} screenshots")
    shots = screenshots(driver, settings["samples"], settings["interval"])
    crops = crops_of_shots(shots, work)
    read_clocks(shots, crops, work)
    summary = summarize(shots)
    save_examples(name, shots, crops, report_dir, work)
    reported = [s["t"] - s["state"]["playerPdt"] for s in shots if s.get("state") and s["state"].get("playerPdt")]
    summary.update({
        "url": url, "player": geometry["mode"], "startupSeconds": rounded(startup, 1), "failedStarts": failures,
        "screenshotCallMsP50": percentile([s["callMs"] for s in shots], 0.5),
        "playerReportedBehindP50": rounded(percentile(reported, 0.5)),
        "stalledSamples": sum(1 for s in shots if s.get("state") and (s["state"]["paused"] or s["state"]["readyState"] < 3)),
        "series": [dict({"t": rounded(s["t"]), "clock": rounded(s["clock"]), "latency": rounded(s["latency"]), "ocr": s["ocr"]},
                        **{key: rounded(value) if isinstance(value, float) else value for key, value in (s.get("state") or {}).items()})
                   for s in shots],
    })
    log(f"{name}: p50 {summary['p50']} s, p90 {summary['p90']} s, {summary['readable']}/{summary['samples']} readable, "
        f"{summary['jumpsBack']} jumps back; the player itself says {summary['playerReportedBehindP50']} s behind")
    return summary


def ffmpeg_client_row(base, settings, work, report_dir):
    """ffmpeg reading the multivariant playlist as a client (as fast as segments come: no -re), its frames
    cropped to the clock and piped out raw; every 12th (~2 fps) is kept, timestamped when it arrives. The first
    FFMPEG_WARMUP seconds (ffmpeg starts three segments back and decodes them at once) are left out."""
    crop_filter, (width, height) = raw_crop_filter()
    warmup, wanted, every = settings["ffmpegWarmup"], settings["samples"], RATE // 2
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", f"{base}/live/senate/index.m3u8", "-map", "0:v:0", "-an",
               "-vf", crop_filter, "-flush_packets", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    started = time.time()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    descriptor, buffer, first, frames, seen = process.stdout.fileno(), b"", None, [], 0
    deadline = started + warmup + wanted * every / RATE + 90
    try:
        while time.time() < deadline:
            chunk = os.read(descriptor, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            now = time.time()
            while len(buffer) >= width * height:
                first = first or now
                if seen % every == 0:
                    frames.append((now, buffer[:width * height]))
                seen += 1
                buffer = buffer[width * height:]
            if first and sum(1 for t, _ in frames if t >= first + warmup) >= wanted:
                break
    finally:
        process.kill()
        err = process.communicate()[1].decode(errors="replace")
    kept = [(t, data) for t, data in frames if first and t >= first + warmup][:wanted]
    samples = [{"t": t} for t, _ in kept]
    crops = [(width, height, data) for _, data in kept]
    read_clocks(samples, crops, work)
    summary = summarize(samples)
    save_examples(f"{settings['profile']}-ffmpeg-client", samples, crops, report_dir, work)
    summary.update({"firstFrameSeconds": rounded(first - started if first else None, 1), "warmupDiscarded": len(frames) - len(kept),
                    "stderr": err.strip()[-300:] or None})
    log(f"ffmpeg-client: p50 {summary['p50']} s, p90 {summary['p90']} s, {summary['readable']}/{summary['samples']} readable")
    return summary


def parts_row(monitor, frame):
    delays = [s["delay"] for s in list(monitor.samples)]
    server = [s["serverMs"] for s in list(monitor.samples) if s.get("serverMs") == s.get("serverMs")]  # not NaN
    net = [d - frame for d in delays]
    durations = sorted({round(s["duration"], 3) for s in monitor.samples})
    return {"samples": len(delays), "lateRequests": len(monitor.late), "lateDurations": sorted({round(d, 3) for d in monitor.late}), "errors": monitor.errors[:10], "errorCount": len(monitor.errors),
            "rawMs": {"p50": rounded(percentile(delays, 0.5) * 1000 if delays else None, 1),
                      "p99": rounded(percentile(delays, 0.99) * 1000 if delays else None, 1),
                      "min": rounded(min(delays) * 1000 if delays else None, 1), "max": rounded(max(delays) * 1000 if delays else None, 1)},
            "afterCutMs": {"p50": rounded(percentile(net, 0.5) * 1000 if net else None, 1),
                           "p99": rounded(percentile(net, 0.99) * 1000 if net else None, 1)},
            "serverMs": {"p50": rounded(percentile(server, 0.5) if server else None, 1), "p99": rounded(percentile(server, 0.99) if server else None, 1),
                         "samples": len(server)},
            "partDurations": durations}


def pdt_row(base, monitor, count, work, report_dir, profile):
    """For the newest `count` complete segments without a discontinuity: init + segment, the first frame's
    clock against the segment's EXT-X-PROGRAM-DATE-TIME."""
    with monitor.lock:
        known = dict(monitor.segments)
    chosen = [msn for msn in sorted(known) if not known[msn]["discontinuity"]][-count:]
    crop_filter, (width, height) = raw_crop_filter()
    samples, crops, inits = [], [], {}
    for msn in chosen:
        segment = known[msn]
        playlist = f"{base}/live/senate/source/"
        try:
            if segment["map"] not in inits:
                inits[segment["map"]] = urllib.request.urlopen(playlist + segment["map"], timeout=30).read()
            media = urllib.request.urlopen(playlist + segment["uri"], timeout=30).read()
        except OSError as error:
            log(f"pdt: segment {msn}: {error}")
            continue
        result = subprocess.run(["nice", "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "mp4", "-i", "pipe:0", "-map", "0:v:0", "-frames:v", "1",
                                 "-vf", crop_filter, "-f", "rawvideo", "-pix_fmt", "gray", "-"], input=inits[segment["map"]] + media, capture_output=True)
        if len(result.stdout) != width * height:
            log(f"pdt: segment {msn}: no frame ({result.stderr.decode(errors='replace').strip()[-200:]})")
            continue
        samples.append({"msn": msn, "t": segment["pdt"], "pdt": segment["pdt"]})
        crops.append((width, height, result.stdout))
    read_clocks(samples, crops, work, plausible=(-30.0, 30.0))
    save_examples(f"{profile}-pdt-first-frame", samples, crops, report_dir, work)
    errors = [s["latency"] for s in samples if s["latency"] is not None]  # t − clock = PDT − clock
    return {"samples": len(samples), "readable": len(errors), "readableRatio": rounded(len(errors) / len(samples) if samples else 0.0),
            "meanMs": rounded(statistics.mean(errors) * 1000 if errors else None, 1),
            "maxAbsMs": rounded(max(abs(e) for e in errors) * 1000 if errors else None, 1),
            "perSegment": [{"msn": s["msn"], "pdt": clock_text(s["pdt"]), "clock": s["ocr"],
                            "pdtMinusClockMs": rounded(s["latency"] * 1000 if s["latency"] is not None else None, 1)} for s in samples]}


def flap_row(driver, base, encoder, monitor, settings, player, report_dir, work):
    """Kills the encoder, waits FLAP_GAP, starts it again, and photographs the viewer throughout."""
    query = {"mse": "?player=mse", "native": "?player=native"}.get(player, "")  # default: the page's own choice
    _, failures = start_watching(driver, f"{base}/watch/senate{query}")
    mode = driver.execute_script(GEOMETRY_JS)["mode"]
    time.sleep(settings["settle"])
    shots, crops, stop = [], [], threading.Event()
    sampler = threading.Thread(target=screenshots, args=(driver, 10 ** 6, 0.3), kwargs={"stop": stop, "into": shots}, daemon=True)
    sampler.start()
    time.sleep(3)
    killed = encoder.kill()
    log(f"flap: encoder killed, restarting in {settings['flapGap']} s")
    time.sleep(settings["flapGap"])
    relaunched = time.time()
    encoder.start()
    log(f"flap: encoder started again; watching for up to {settings['flapWatch']} s")
    first_new, seen_new = None, None
    # OCR as it goes, so the watch ends a few seconds after the new clock shows (or after FLAP_WATCH).
    while time.time() < relaunched + settings["flapWatch"] and not (seen_new and time.time() > seen_new + 4):
        time.sleep(2)
        first_new = first_new or encoder.first_stamp()
        batch = shots[len(crops):]
        if batch:
            crops.extend(crops_of_shots(batch, work))
            read_clocks(batch, crops[-len(batch):], work)
        if first_new and not seen_new:
            seen_new = next((s["t"] for s in shots[:len(crops)] if s.get("clock") is not None and s["clock"] >= first_new - 0.05), None)
    stop.set()
    sampler.join(60)
    batch = shots[len(crops):]
    if batch:
        crops.extend(crops_of_shots(batch, work))
        read_clocks(batch, crops[-len(batch):], work)
    first_new = first_new or encoder.first_stamp()
    save_examples(f"{settings['profile']}-flap-{player}", shots, crops, report_dir, work)
    before = [s for s in shots if s["t"] < killed]
    last_old = max((s["clock"] for s in shots if s.get("clock") is not None and s["clock"] < relaunched), default=None)
    recovered = next((s for s in shots if s.get("clock") is not None and first_new is not None and s["clock"] >= first_new - 0.05), None)
    readable = [s for s in shots if s.get("clock") is not None]
    # When the server had new media: the first blocking-reload answer for a part that ends after the new
    # encoder's first frame (on the server's program-date-time, which follows the clock to a few tens of ms).
    server_new = next((a for a in list(monitor.answers) if first_new and a["end"] > first_new and a["answered"] > relaunched), None)
    steady = percentile([s["latency"] for s in before if s.get("latency") is not None], 0.5)
    result = {
        "player": mode if player == "default" else player, "page": f"/watch/senate{query}", "failedStarts": failures,
        "gapSeconds": settings["flapGap"], "samples": len(shots), "readable": len(readable),
        "readableRatio": rounded(len(readable) / len(shots) if shots else 0.0),
        "jumpsBack": jumps_back(shots), "steadyLatencyBefore": rounded(steady),
        "newEncoderFirstFrame": clock_text(first_new) if first_new else None,
        "newEncoderStartup": rounded(first_new - relaunched if first_new else None),
        "lastOldClockShown": clock_text(last_old) if last_old else None,
        "firstNewClockShownAt": clock_text(recovered["t"]) if recovered else None,
        "recoverySeconds": rounded(recovered["t"] - first_new if recovered else None),
        "recoveryMinusSteadyLatency": rounded(recovered["t"] - first_new - steady if recovered and steady is not None else None),
        "firstNewClockShown": clock_text(recovered["clock"]) if recovered else None,
        "newMediaNeverShown": rounded(recovered["clock"] - first_new if recovered else None),
        "serverFirstNewPartSeconds": rounded(server_new["answered"] - first_new if server_new else None),
        "videoErrors": sorted({s["state"]["error"] for s in shots if s.get("state") and s["state"].get("error")}),
        "series": [{"t": rounded(s["t"]), "clock": rounded(s["clock"]), "ocr": s["ocr"],
                    "readyState": (s.get("state") or {}).get("readyState")} for s in shots],
    }
    log(f"flap: recovery {result['recoverySeconds']} s after the new encoder's first frame, {result['jumpsBack']} jumps back")
    return result


def put_input(base, token, body):
    request = urllib.request.Request(f"{base}/api/v1/channels/senate/input", data=json.dumps(body).encode(), method="PUT",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status, json.load(reply)


def wait_for_segments(base, count, timeout=90):
    started = time.time()
    while time.time() - started < timeout:
        try:
            with urllib.request.urlopen(f"{base}/live/senate/source/index.m3u8", timeout=10) as reply:
                segments = [s for s in parse_media_playlist(reply.read().decode()) if s["complete"]]
            if len(segments) >= count:
                return time.time() - started
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server made fewer than {count} segments in {timeout} s")


def settings_from_environment():
    return {"samples": env_int("SAMPLES", 60), "interval": env_float("INTERVAL", 0.5), "settle": env_float("SETTLE", 5.0),
            "flapGap": env_float("FLAP_GAP", 5.0), "flapWatch": env_float("FLAP_WATCH", 30.0), "pdtSegments": env_int("PDT_SEGMENTS", 12),
            "ffmpegWarmup": env_float("FFMPEG_WARMUP", 5.0), "source": os.environ.get("SOURCE", "udp"),
            "flapPlayer": os.environ.get("FLAP_PLAYER", "default")}


def selected_rows():
    rows = ["native", "mse", "ffmpeg", "parts", "pdt"]
    only = [name.strip() for name in os.environ.get("ONLY", "").split(",") if name.strip()]
    if only:
        unknown = set(only) - set(rows + ["flap"])
        if unknown:
            raise SystemExit(f"ONLY: unknown rows {sorted(unknown)} (native, mse, ffmpeg, parts, pdt, flap)")
        return only
    return rows + (["flap"] if os.environ.get("FLAP", "1") not in ("0", "", "no", "false") else [])


def run(args):
    settings = dict(settings_from_environment(), profile=args.profile)
    rows = selected_rows()
    report_dir = args.report_dir
    os.makedirs(report_dir, exist_ok=True)
    work = os.path.join(args.work, args.profile)
    os.makedirs(work, exist_ok=True)
    environment = dict(item.split("=", 1) for item in (args.environment or "").split() if "=" in item)
    result = {"profile": args.profile, "environment": environment, "settings": settings, "rows": {}, "startedAt": time.time()}
    encoder = Encoder(settings["source"], free_port(socket.SOCK_DGRAM if settings["source"] in ("udp", "srt") else socket.SOCK_STREAM), work)
    status, state = put_input(args.base, args.token, encoder.server_input())
    log(f"[{args.profile}] input {state} ({status}); encoder: {settings['source']} to port {encoder.port}")
    time.sleep(0.5)
    encoder.start()
    driver, monitor = None, None
    try:
        # Viewers join a running stream: three complete segments first (Chromium's native player opened on a
        # shorter playlist has failed with DEMUXER_ERROR_COULD_NOT_PARSE; start_watching reports such failures).
        result["firstSegmentsSeconds"] = rounded(wait_for_segments(args.base, 3), 1)
        if any(row in rows for row in ("parts", "pdt", "flap")):  # parts and PDT records; when new media is out, for the flap
            monitor = PlaylistMonitor(args.base)
            monitor.start()
        if any(row in rows for row in ("native", "mse", "flap")):
            driver = open_browser()
        # ?player=native / ?player=mse force a path (an older page knew only ?player=mse and played natively
        # where the browser can, which Chromium does): the rows measure the same player whatever the page's default.
        for name, query in (("native", "?player=native"), ("mse", "?player=mse")):
            if name in rows:
                try:
                    result["rows"][name] = viewer_row(driver, args.base, f"{args.profile}-{name}", query, settings, report_dir, work)
                except Exception as error:  # a viewer that never plays is a result, not a crash
                    log(f"{name}: {error}")
                    result["rows"][name] = {"error": str(error)[:400]}
        if "ffmpeg" in rows:
            result["rows"]["ffmpeg"] = ffmpeg_client_row(args.base, settings, work, report_dir)
        if "pdt" in rows:
            wanted = settings["pdtSegments"] + 1
            while len(monitor.segments) < wanted and time.time() - result["startedAt"] < 240:
                time.sleep(1)
        if "parts" in rows:
            result["rows"]["parts"] = parts_row(monitor, 1.0 / RATE)
            log(f"parts: {result['rows']['parts']['samples']} answers, raw p50 {result['rows']['parts']['rawMs']['p50']} ms, "
                f"p99 {result['rows']['parts']['rawMs']['p99']} ms")
        if "pdt" in rows:
            result["rows"]["pdt"] = pdt_row(args.base, monitor, settings["pdtSegments"], work, report_dir, args.profile)
            log(f"pdt: PDT − clock mean {result['rows']['pdt']['meanMs']} ms, max |error| {result['rows']['pdt']['maxAbsMs']} ms")
        if "flap" in rows:
            try:
                result["rows"]["flap"] = flap_row(driver, args.base, encoder, monitor, settings, settings["flapPlayer"], report_dir, work)
            except Exception as error:
                log(f"flap: {error}")
                result["rows"]["flap"] = {"error": str(error)[:400]}
    finally:
        if monitor:
            monitor.stop()
        if driver:
            driver.quit()
        encoder.kill(signal.SIGTERM)
    result["encoderRuns"] = [{"launched": clock_text(run["launched"]),
                              "firstFrame": clock_text(encoder.first_stamp(i)) if encoder.first_stamp(i) else None}
                             for i, run in enumerate(encoder.runs)]
    result["seconds"] = round(time.time() - result["startedAt"], 1)
    with open(args.out, "w") as file:
        json.dump(result, file, indent=1)
    print(json.dumps({"profile": args.profile, "seconds": result["seconds"], "rows": sorted(result["rows"])}))


# --- the report -----------------------------------------------------------------------------------------

def targets():
    return {"glassP50": env_float("TARGET_GLASS_P50", 2.0), "glassP90": env_float("TARGET_GLASS_P90", 3.0),
            "partP99Ms": env_float("TARGET_PART_P99_MS", 50.0), "pdtMs": env_float("TARGET_PDT_MS", 100.0),
            "flapSeconds": env_float("TARGET_FLAP", 3.0), "ffmpegP50": env_optional_float("TARGET_FFMPEG_P50"),
            "minReadable": env_float("MIN_READABLE", 0.9)}


def seconds(value):
    return "—" if value is None else f"{value:.2f} s"


def millis(value):
    return "—" if value is None else f"{value:.0f} ms"


def table_rows(profile, goal):
    """[(row, p50, p90/p99, samples, target, pass or None)] and notes for one profile's results."""
    rows, notes = [], []
    # The native row is the reference: Chromium's own HLS player, the path the page took before the bundled
    # LL-HLS player. The targets apply to the page's player (mse); the ratio compares the two.
    for name, label in (("native", "native (?player=native, reference)"), ("mse", "mse (?player=mse, the page's player)"), ("ffmpeg", "ffmpeg-client")):
        row = profile["rows"].get(name)
        if row is None:
            continue
        if "error" in row:
            rows.append((label, "—", "—", "0", f"p50 ≤ {goal['glassP50']} s", False))
            notes.append(f"{label}: {row['error']}")
            continue
        sample_text = f"{row['readable']}/{row['samples']} read, {row['jumpsBack']} back"
        readable_ok = row["readableRatio"] >= goal["minReadable"]
        if name == "ffmpeg":
            target = goal["ffmpegP50"]
            passed = None if target is None else bool(readable_ok and row["p50"] is not None and row["p50"] <= target)
            target_text = "info (whole segments)" if target is None else f"p50 ≤ {target} s"
            if not readable_ok:
                passed = False
        elif name == "native":
            passed = None if readable_ok else False
            mse = profile["rows"].get("mse") or {}
            ratio = mse.get("p50") / row["p50"] if mse.get("p50") and row.get("p50") else None
            target_text = "reference" + (f" (mse/native p50: {ratio:.2f})" if ratio else "")
        else:
            passed = bool(readable_ok and row["p50"] is not None and row["p50"] <= goal["glassP50"] and row["p90"] <= goal["glassP90"]
                          and row["jumpsBack"] == 0)
            target_text = f"p50 ≤ {goal['glassP50']} s, p90 ≤ {goal['glassP90']} s, 0 back"
            if row.get("failedStarts"):
                notes.append(f"{label}: the page had to be loaded again: {'; '.join(row['failedStarts'])}")
            notes.append(f"{label}: {row['player']} player, playing {row['startupSeconds']} s after the page opened; the player itself "
                         f"claims {seconds(row.get('playerReportedBehindP50'))} behind live; {row['repeats']} samples showed the same clock as the one "
                         f"before (frozen picture), {row['stalledSamples']} with readyState < 3 or paused; min {seconds(row['min'])}, max {seconds(row['max'])}; "
                         f"screenshot call p50 {row['screenshotCallMsP50']} ms")
        if not readable_ok:
            notes.append(f"{label}: only {row['readableRatio'] * 100:.0f} % of the samples were readable")
        rows.append((label, seconds(row["p50"]), seconds(row["p90"]), sample_text, target_text, passed))
    parts, pdt = profile["rows"].get("parts"), profile["rows"].get("pdt")
    pdt_error = pdt["meanMs"] if pdt and pdt.get("readable") else None
    pdt_off = pdt_error is not None and abs(pdt_error) > goal["pdtMs"]
    if parts is not None:
        after, raw, server = parts["afterCutMs"], parts["rawMs"], parts.get("serverMs") or {}
        if server.get("samples"):
            # The server stamps each part when it is cut and says, on the blocking answer, how long ago that was.
            passed = bool(server["samples"] >= 20 and server["p99"] is not None and server["p99"] <= goal["partP99Ms"])
            rows.append(("blocking reload answered after the cut (server's X-Part-Age-Ms)", millis(server["p50"]), millis(server["p99"]) + " (p99)",
                         f"{server['samples']} parts", f"p99 ≤ {goal['partP99Ms']:.0f} ms", passed))
        else:
            passed = bool(parts["samples"] >= 20 and after["p99"] is not None and after["p99"] <= goal["partP99Ms"])
        rows.append(("part-availability (raw − one frame)", millis(after["p50"]), millis(after["p99"]) + " (p99)", f"{parts['samples']} parts",
                     "info" if server.get("samples") else f"p99 ≤ {goal['partP99Ms']:.0f} ms", None if server.get("samples") or pdt_off else passed))
        rows.append(("part-availability (raw: answer − part end in PDT)", millis(raw["p50"]), millis(raw["p99"]) + " (p99)",
                     f"min {millis(raw['min'])}, max {millis(raw['max'])}", "info", None))
        if pdt_error is not None and raw["p50"] is not None:
            rows.append(("part-availability (raw, part end on the burned-in clock)", millis(raw["p50"] + pdt_error), millis(raw["p99"] + pdt_error) + " (p99)",
                         f"raw + PDT error ({millis(pdt_error)})", "info", None))
        notes.append(f"parts: durations {parts['partDurations']} s; 'after the cut' = raw − one frame ({1000 / RATE:.0f} ms: a part is cut when "
                     f"the frame after it arrives); {parts['lateRequests']} answers not counted: the part had ended before the request for it "
                     f"went out (parts of {parts.get('lateDurations')} s, shorter than the previous answer's delay); "
                     f"{parts['errorCount']} errors {parts['errors'][:3]}")
        if pdt_error is not None and raw["p50"] is not None:
            source = profile["settings"]["source"]
            via = {"udp": "UDP; MPEG-TS, whose demuxer completes a video frame only when the next one starts",
                   "srt": "SRT, which holds packets for its latency (120 ms by default); MPEG-TS, whose demuxer completes a video frame only "
                          "when the next one starts", "rtmp": "RTMP"}.get(source, source)
            notes.append(f"parts: on the burned-in clock the answer comes {millis(raw['p50'] + pdt_error)} (p50) after the part's last frame "
                         f"ended; that includes the encoder (ffmpeg hands a frame on when the next one comes, {1000 / RATE:.0f} ms) and the way in "
                         f"({via})")
        if pdt_off:
            notes.append(f"parts: not judged — measured against a program-date-time that is itself {millis(pdt_error)} off (the PDT row), "
                         f"the figures are shifted by as much; on the burned-in clock the answers come {millis(raw['p50'] + pdt_error)} (p50) after "
                         f"the part's end")
    if pdt is not None:
        passed = bool(pdt["readable"] >= 10 and pdt["maxAbsMs"] is not None and pdt["maxAbsMs"] <= goal["pdtMs"])
        rows.append(("PDT − first-frame clock", millis(pdt["meanMs"]) + " (mean)", millis(pdt["maxAbsMs"]) + " (max abs)",
                     f"{pdt['readable']}/{pdt['samples']} segments", f"max abs ≤ {goal['pdtMs']:.0f} ms", passed))
        if pdt_off:
            notes.append(f"PDT: program-date-time is {'later' if pdt_error > 0 else 'earlier'} than the clock in the segment's first frame by "
                         f"{abs(pdt_error):.0f} ms on average (a player that maps PDT to the picture — transcript sync, 'behind live' — is off by as much)")
    flap = profile["rows"].get("flap")
    if flap is not None:
        if "error" in flap:
            rows.append(("flap recovery", "—", "—", "—", f"≤ {goal['flapSeconds']} s, 0 back", False))
            notes.append(f"flap: {flap['error']}")
        else:
            passed = bool(flap["recoverySeconds"] is not None and flap["recoverySeconds"] <= goal["flapSeconds"] and flap["jumpsBack"] == 0)
            rows.append((f"flap recovery ({flap['page']}: {flap['player']}, {flap['gapSeconds']:.0f} s gap)", seconds(flap["recoverySeconds"]),
                         f"{flap['jumpsBack']} back", f"{flap['readable']}/{flap['samples']} read", f"≤ {goal['flapSeconds']} s, 0 back", passed))
            notes.append(f"flap: new encoder's first frame {flap['newEncoderFirstFrame']} ({flap['newEncoderStartup']} s after launch); the server "
                         f"answered its first new part {seconds(flap.get('serverFirstNewPartSeconds'))} after that frame; last old "
                         f"clock on screen {flap['lastOldClockShown']}; first new clock on screen at {flap['firstNewClockShownAt']} showing "
                         f"{flap.get('firstNewClockShown')} ({seconds(flap.get('newMediaNeverShown'))} of the new encoder's picture never shown); "
                         f"recovery − steady latency ({seconds(flap['steadyLatencyBefore'])}) = {seconds(flap['recoveryMinusSteadyLatency'])}; "
                         f"video errors {flap['videoErrors']}")
    return rows, notes


def report(args):
    goal = targets()
    profiles = []
    for path in args.files:
        with open(path) as file:
            profiles.append(json.load(file))
    calibration = None
    if args.calibration and os.path.exists(args.calibration):
        with open(args.calibration) as file:
            calibration = json.load(file)
    failed = False
    out = []
    if calibration:
        rtc, offset = calibration["rtctime"]["arrivalMinusClockMs"], calibration["offset"]["arrivalMinusClockMs"]
        out.append(f"clock check (the encoder's filter chain → pipe, no network; one frame, {1000 / RATE:.0f} ms, expected): RTCTIME stamp: arrival − clock p50 {rtc['p50']} ms "
                   f"(min {rtc['min']}, max {rtc['max']}) on {calibration['rtctime']['readable']}/{calibration['rtctime']['frames']} frames; "
                   f"for comparison the %{{pts:hms:OFFSET}} method: p50 {offset['p50']} ms (its start-up error) — "
                   f"{'ok' if calibration['ok'] else 'FAILED: the burned-in clock is not trustworthy'}")
        failed |= not calibration["ok"]
    total_samples = total_readable = 0
    for profile in profiles:
        rows, notes = table_rows(profile, goal)
        environment = profile.get("environment") or {}
        out.append("")
        out.append(f"### profile `{profile['profile']}` ({' '.join(f'{k}={v}' for k, v in environment.items()) or 'server defaults'}; "
                   f"source {profile['settings']['source']}, {profile['seconds']} s)")
        out.append("")
        out.append("| row | p50 | p90 (p99 for parts) | samples | target | pass |")
        out.append("|---|---|---|---|---|---|")
        for label, p50, p90, samples, target, passed in rows:
            out.append(f"| {label} | {p50} | {p90} | {samples} | {target} | {'—' if passed is None else ('yes' if passed else '**no**')} |")
            failed |= passed is False
        out.append("")
        out.extend(f"- {note}" for note in notes)
        for name in ("native", "mse", "ffmpeg", "flap"):
            row = profile["rows"].get(name) or {}
            total_samples += row.get("samples", 0) or 0
            total_readable += row.get("readable", 0) or 0
    if total_samples:
        out.append("")
        out.append(f"OCR: {total_readable}/{total_samples} screenshots/frames readable ({100 * total_readable / total_samples:.1f} %)")
    text = "\n".join(out)
    print(text)
    document = {"targets": goal, "calibration": calibration, "profiles": profiles, "failed": failed,
                "ocrReadable": total_readable, "ocrSamples": total_samples, "binary": os.environ.get("LATENCY_BIN"),
                "binaryBuilt": os.environ.get("LATENCY_BIN_BUILT")}
    for path in filter(None, [args.json, os.environ.get("REPORT")]):
        with open(path, "w") as file:
            json.dump(document, file, indent=1)
    sys.exit(1 if failed else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    c = commands.add_parser("calibrate")
    c.add_argument("--work", required=True)
    c.add_argument("--out", required=True)
    r = commands.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--token", required=True)
    r.add_argument("--profile", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--report-dir", required=True)
    r.add_argument("--environment", help="the server settings of this profile, K=V …, for the report")
    p = commands.add_parser("report")
    p.add_argument("files", nargs="+")
    p.add_argument("--calibration")
    p.add_argument("--json")
    args = parser.parse_args()
    {"calibrate": calibrate, "run": run, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
