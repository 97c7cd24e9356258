#!/usr/bin/env bash
# Remux benchmark: `senate-live package` against `ffmpeg -f hls` on the same long input.
#
# This is a benchmark, not a test: it prints numbers and fails only when an output is not sane.
# Both tools copy the streams (no re-encode) into fMP4 HLS with 4 s segments, so the work is the
# same apart from what ours does on top (LL-HLS parts, segments.jsonl, the optional audio rendition).
#
# Usage:   Benchmarks/remux.sh
# Env:     SENATE_LIVE_BIN  binary to run (default: .build-release/release/senate-live, built if missing;
#                           it is NOT rebuilt when stale, delete it or pass your own to measure new code)
#          DURATION         input length in seconds (default 1200, i.e. 20 minutes)
#          RUNS             timed rounds (default 5); each round runs ffmpeg, ours, ours --no-audio-rendition
#          TMPDIR           where the per-run output folders go (default /tmp)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
CACHE_DIR="$BENCH_DIR/.cache"
DURATION="${DURATION:-1200}"
RUNS="${RUNS:-5}"

die() { echo "remux.sh: error: $*" >&2; exit 1; }

[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 10 ]] || die "DURATION must be an integer >= 10 (seconds), got '$DURATION'"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || die "RUNS must be an integer >= 1, got '$RUNS'"
command -v ffmpeg >/dev/null || die "ffmpeg is not installed (apt-get install -y ffmpeg)"
command -v ffprobe >/dev/null || die "ffprobe is not installed (apt-get install -y ffmpeg)"

# GNU time gives user/sys CPU and max RSS; without it we still measure wall time.
HAVE_TIME=0
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M true >/dev/null 2>&1; then HAVE_TIME=1; fi
[[ $HAVE_TIME == 1 ]] || echo "note: GNU time not found (apt-get install -y time): no CPU split or RSS" >&2

# --- the binary -----------------------------------------------------------------------------------
source "$BENCH_DIR/binary.sh"

# --- the input (generated once, cached) -----------------------------------------------------------
# testsrc2 + sine, 720p25 H.264 with a fixed 2 s GOP (no scene-cut keyframes) so both tools see the
# same, regular cut points; ~2.5 Mb/s video + 128k AAC is a realistic broadcast-ish bitrate.
mkdir -p "$CACHE_DIR"
INPUT="$CACHE_DIR/input-${DURATION}s-720p25.mp4"
if [[ ! -s "$INPUT" ]]; then
    echo "generating $INPUT (${DURATION}s, encodes once, then cached)..." >&2
    partial="$INPUT.partial.mp4"
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=$DURATION" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$DURATION" \
        -map 0:v -map 1:a \
        -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 \
        -b:v 2500k -maxrate 3000k -bufsize 5000k \
        -c:a aac -b:a 128k -ac 2 \
        -movflags +faststart "$partial"
    mv "$partial" "$INPUT"    # only a complete file ever gets the cached name
fi
INPUT_DURATION="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$INPUT")"
INPUT_BYTES="$(stat -c %s "$INPUT")"

# --- per-run output folders -----------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/remux-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.tsv"   # tool, wall s, user s, sys s, max RSS KiB
: >"$RESULTS"

# Duration of an HLS playlist must be within 1% (or 1 s) of the input's; anything else is a broken remux.
check_playlist() {
    local label="$1" playlist="$2" log="$3" got
    [[ -s "$playlist" ]] || { cat "$log" >&2; die "$label: no playlist at $playlist"; }
    got="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$playlist" 2>"$WORK/probe.err" || true)"
    if ! awk -v got="$got" -v want="$INPUT_DURATION" 'BEGIN {
            if (got == "" || got == "N/A") exit 1
            d = got - want; if (d < 0) d = -d
            tol = want * 0.01; if (tol < 1) tol = 1
            exit !(d <= tol) }'; then
        cat "$WORK/probe.err" >&2
        die "$label: $playlist lasts '${got}' s, input lasts $INPUT_DURATION s"
    fi
    echo "  ok: $label $(basename "$(dirname "$playlist")")/$(basename "$playlist") lasts ${got}s (input ${INPUT_DURATION}s)" >&2
}

check_output() {
    local tool="$1" out="$2" log="$3"
    case "$tool" in
        ffmpeg)
            check_playlist "$tool" "$out/index.m3u8" "$log" ;;
        ours-single)
            [[ -s "$out/index.m3u8" ]] || { cat "$log" >&2; die "$tool: no multivariant playlist at $out/index.m3u8"; }
            check_playlist "$tool" "$out/source/index.m3u8" "$log" ;;
        ours-audio)
            [[ -s "$out/index.m3u8" ]] || { cat "$log" >&2; die "$tool: no multivariant playlist at $out/index.m3u8"; }
            check_playlist "$tool" "$out/source/index.m3u8" "$log"
            check_playlist "$tool" "$out/audio/index.m3u8" "$log" ;;
    esac
}

# Runs one tool once into a fresh folder, appends its numbers to $RESULTS, checks the output when asked.
run_one() {
    local tool="$1" check="$2" out log stats t0 t1 wall user=NA sys=NA rss=NA
    out="$(mktemp -d "$WORK/$tool.XXXXXX")"
    log="$WORK/$tool.log"
    local -a cmd
    case "$tool" in
        ffmpeg)      cmd=(ffmpeg -hide_banner -loglevel error -nostdin -y -i "$INPUT" -c copy -f hls
                          -hls_segment_type fmp4 -hls_time 4 -hls_playlist_type vod
                          -hls_segment_filename "$out/%d.m4s" "$out/index.m3u8") ;;
        ours-single) cmd=("$BIN" package "$INPUT" --output "$out" --segment-target 4 --no-audio-rendition) ;;
        ours-audio)  cmd=("$BIN" package "$INPUT" --output "$out" --segment-target 4) ;;
    esac
    stats="$WORK/time.out"
    if [[ $HAVE_TIME == 1 ]]; then cmd=(/usr/bin/time -o "$stats" -f "%U %S %M" "${cmd[@]}"); fi
    # Wall time from the shell clock: finer than time's %e (10 ms).
    t0="$(date +%s.%N)"
    if ! "${cmd[@]}" </dev/null >"$log" 2>&1; then
        cat "$log" >&2
        die "$tool failed (see above)"
    fi
    t1="$(date +%s.%N)"
    wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    [[ $HAVE_TIME == 1 ]] && read -r user sys rss <"$stats"
    [[ "$check" == 1 ]] && check_output "$tool" "$out" "$log"
    printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$wall" "$user" "$sys" "$rss" >>"$RESULTS"
    printf '  %-12s %8.2f s wall  (user %s s, sys %s s, max RSS %s KiB)\n' "$tool" "$wall" "$user" "$sys" "$rss" >&2
    rm -rf "$out"   # keep at most one output on disk: each is ~the input's size
}

# --- machine info ---------------------------------------------------------------------------------
echo "== machine"
echo "nproc:   $(nproc)"
echo "cpu:     $(lscpu 2>/dev/null | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
echo "ffmpeg:  $(ffmpeg -version | head -1)"
echo "ours:    $BIN"
awk -v b="$INPUT_BYTES" -v d="$INPUT_DURATION" -v f="$INPUT" 'BEGIN {
    printf "input:   %s\n         %.1f MiB, %.1f s, %.2f Mb/s\n", f, b / 1048576, d, b * 8 / d / 1e6 }'
echo "runs:    $RUNS rounds of ffmpeg, ours single rendition, ours with audio rendition"

# Read the input once so every timed run (the first included) starts from a warm page cache.
cat "$INPUT" >/dev/null

# --- timed rounds ---------------------------------------------------------------------------------
source "$BENCH_DIR/rounds.sh"
run_rounds ffmpeg ours-single ours-audio

# --- table ----------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

ff_median="$(summarize ffmpeg '$2' median)"
echo
echo "== results ($RUNS runs each, seconds of wall time; user/sys are medians; RSS is the max over runs)"
printf '%-34s %8s %8s %8s %8s %8s %10s %8s\n' tool median min max user sys "RSS MiB" "/ffmpeg"
for tool in ffmpeg ours-single ours-audio; do
    case "$tool" in
        ffmpeg)      name="ffmpeg -f hls (1 rendition)" ;;
        ours-single) name="ours --no-audio-rendition" ;;
        ours-audio)  name="ours (+ audio rendition)" ;;
    esac
    med="$(summarize "$tool" '$2' median)"
    rss="$(summarize "$tool" '$5' max)"
    rss_mib="$([[ "$rss" == NA ]] && echo NA || awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')"
    printf '%-34s %8.2f %8.2f %8.2f %8s %8s %10s %8s\n' "$name" "$med" "$(summarize "$tool" '$2' min)" "$(summarize "$tool" '$2' max)" \
        "$(summarize "$tool" '$3' median)" "$(summarize "$tool" '$4' median)" "$rss_mib" "$(ratio "$med" "$ff_median")"
done
echo
echo "ratio (ours single rendition / ffmpeg, median): $(ratio "$(summarize ours-single '$2' median)" "$ff_median")"
echo "ratio (ours with audio rendition / ffmpeg, median): $(ratio "$(summarize ours-audio '$2' median)" "$ff_median")"
echo "target: ours single rendition / ffmpeg <= 1.00"
