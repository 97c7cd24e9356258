#!/usr/bin/env bash
# Glass-to-glass latency as a viewer sees it. An ffmpeg encoder burns the wall clock (UTC, milliseconds) into
# its picture and sends it live to `senate-live serve`; headless Chromium (Selenium) watches /watch/senate with
# the native player (?player=native) and with the bundled MSE player (?player=mse), ffmpeg reads the HLS as a
# client, and tesseract reads the clock back from each screenshot / frame: latency = when it was seen − the
# clock in it. Also: LL-HLS part availability
# (blocking reload answer − the part's end in program-date-time), EXT-X-PROGRAM-DATE-TIME against the clock in
# each segment's first frame, and recovery after the encoder goes away for FLAP_GAP seconds.
#
# For each profile: a fresh data folder, a free port, the server started with the profile's settings, a token
# minted, Benchmarks/latency.py run against it, the server stopped; then one markdown table per profile. How
# the clock is drawn and checked: latency.py's docstring. A benchmark, not a test: exits non-zero when a
# target is missed. A full run takes about 6 minutes (two profiles).
#
# Usage:   Benchmarks/latency.sh
# Env:     SENATE_LIVE_BIN  binary to run (default: .build-release/release/senate-live, built if missing;
#                           NOT rebuilt when stale)
#          PROFILES         profiles to run, in order (default "default tuned")
#          PROFILE_<NAME>   server settings of a profile, "K=V K=V" (PROFILE_DEFAULT: "", the server's defaults;
#                           PROFILE_TUNED: "SENATE_LIVE_PART_TARGET=0.2 SENATE_LIVE_SEGMENT_TARGET=1", the shortest parts and
#                           segments the server accepts; its own defaults are 0.333 s and 2 s)
#          ONLY             comma list of rows: native, mse, ffmpeg, parts, pdt, flap (default: all; flap per FLAP)
#          MODE             full (default) or quick (SAMPLES=20, FLAP=0, PDT_SEGMENTS=10 unless set)
#          SAMPLES (60)     screenshots per viewer / frames of the ffmpeg client; INTERVAL (0.5 s) between screenshots
#          SETTLE (5)       seconds a viewer plays before the first screenshot
#          SOURCE           udp (default), rtmp or srt: how the encoder publishes (the server input listens)
#          FLAP (1)         0 skips the flap test; FLAP_GAP (5 s) encoder down, FLAP_WATCH (30 s) watching after
#                           the restart, FLAP_PLAYER (default: /watch/senate as the page picks; native; mse)
#          PDT_SEGMENTS (12) segments checked against program-date-time; FFMPEG_WARMUP (5 s) of the ffmpeg
#                           client's catch-up left out; ENCODER_PRESET (veryfast)
#          TARGET_GLASS_P50 (2.0 s), TARGET_GLASS_P90 (3.0 s), TARGET_PART_P99_MS (50), TARGET_PDT_MS (100),
#          TARGET_FLAP (3.0 s), TARGET_FFMPEG_P50 (none: informational), MIN_READABLE (0.9 of the samples)
#          REPORT_DIR       where screenshots, OCR crops and latency.json go (default: a new folder under /tmp)
#          REPORT           also write the JSON report to this path
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

die() { echo "latency.sh: error: $*" >&2; exit 1; }

# --- the binary and the tools ---------------------------------------------------------------------
source "$BENCH_DIR/binary.sh"
for tool in ffmpeg tesseract /usr/bin/chromium /usr/bin/chromedriver; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/setup-debian.sh installs it)"
done
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf ]] || die "DejaVu Sans Mono Bold not found (apt-get install fonts-dejavu-core)"
python3 -c 'import selenium' 2>/dev/null || die "python3 has no selenium (pip install selenium)"

if [[ "${MODE:-full}" == quick ]]; then
    export SAMPLES="${SAMPLES:-20}" FLAP="${FLAP:-0}" PDT_SEGMENTS="${PDT_SEGMENTS:-10}"
fi
PROFILES="${PROFILES:-default tuned}"
export PROFILE_DEFAULT="${PROFILE_DEFAULT:-}"
export PROFILE_TUNED="${PROFILE_TUNED:-SENATE_LIVE_PART_TARGET=0.2 SENATE_LIVE_SEGMENT_TARGET=1}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/latency.XXXXXX")"
REPORT_DIR="${REPORT_DIR:-${TMPDIR:-/tmp}/senate-latency-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$REPORT_DIR"
SECRET="latency-benchmark-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SERVER_PID=""

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

echo "server: $BIN (built $(date -r "$BIN" '+%Y-%m-%d %H:%M:%S'))"
echo "profiles: $PROFILES; source ${SOURCE:-udp}; report folder $REPORT_DIR"
export LATENCY_BIN="$BIN" LATENCY_BIN_BUILT="$(date -r "$BIN" '+%Y-%m-%dT%H:%M:%S%z')"

# --- the clock itself, against the real clock -----------------------------------------------------
python3 "$BENCH_DIR/latency.py" calibrate --work "$WORK" --out "$WORK/calibration.json" >/dev/null \
    || die "the clock check failed to run"

# --- one server per profile -----------------------------------------------------------------------
RESULTS=()
STATUS=0
for profile in $PROFILES; do
    variable="PROFILE_$(echo "$profile" | tr '[:lower:]-' '[:upper:]_')"
    [[ -n "${!variable+set}" ]] || die "no settings for profile '$profile' (set $variable, e.g. \"SENATE_LIVE_PART_TARGET=0.5\")"
    settings="${!variable}"
    data="$WORK/$profile/data"
    mkdir -p "$data"
    echo
    echo "== profile $profile: ${settings:-server defaults}"
    # shellcheck disable=SC2086  # the settings are K=V words on purpose
    env SENATE_LIVE_AUTH_SECRET="$SECRET" SENATE_LIVE_CHANNELS=senate SENATE_LIVE_HOST=127.0.0.1 SENATE_LIVE_DATA_DIR="$data" \
        $settings "$BIN" serve --port 0 >"$WORK/$profile/server.out" 2>"$WORK/$profile/server.err" &
    SERVER_PID=$!
    URL=""
    for _ in $(seq 1 300); do
        URL="$(grep -o 'http://[0-9.]*:[0-9]*' "$WORK/$profile/server.out" 2>/dev/null | head -1 || true)"
        [[ -n "$URL" ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/$profile/server.err" >&2; die "the server exited before listening"; }
        sleep 0.1
    done
    [[ -n "$URL" ]] || { cat "$WORK/$profile/server.err" >&2; die "the server did not print 'listening on' within 30 s"; }
    TOKEN="$(SENATE_LIVE_AUTH_SECRET="$SECRET" "$BIN" token --role operator --channel senate)"
    [[ -n "$TOKEN" ]] || die "could not mint a token"
    echo "server pid $SERVER_PID listening on $URL"

    set +e
    python3 "$BENCH_DIR/latency.py" run --base "$URL" --token "$TOKEN" --profile "$profile" --environment "$settings" \
        --work "$WORK" --out "$WORK/$profile.json" --report-dir "$REPORT_DIR"
    code=$?
    set -e
    [[ $code -eq 0 && -f "$WORK/$profile.json" ]] && RESULTS+=("$WORK/$profile.json") || { echo "profile $profile: latency.py failed ($code)" >&2; STATUS=1; }

    kill -0 "$SERVER_PID" 2>/dev/null || echo "warning: the server died during the run" >&2
    stop_server
    err="$WORK/$profile/server.err"
    cp "$err" "$REPORT_DIR/$profile-server.log"
    echo "server stderr: $(wc -l <"$err") lines; $(grep -ciE 'warning' "$err" || true) warning, $(grep -ciE 'error|critical' "$err" || true) error/critical"
    grep -iE 'warning|error|critical' "$err" | sed -E 's/^[0-9T:.+-]+ //' | sort | uniq -c | sort -rn | head -6 || true
done

# --- the tables -----------------------------------------------------------------------------------
[[ ${#RESULTS[@]} -gt 0 ]] || die "no profile produced results"
echo
set +e
python3 "$BENCH_DIR/latency.py" report "${RESULTS[@]}" --calibration "$WORK/calibration.json" --json "$REPORT_DIR/latency.json"
code=$?
set -e
[[ $code -eq 0 ]] || STATUS=1
echo
echo "report: $REPORT_DIR (latency.json, screenshots, the OCR crops, server logs)"
exit "$STATUS"
