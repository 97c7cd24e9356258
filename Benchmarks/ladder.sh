#!/usr/bin/env bash
# Transcode + ladder benchmark: `senate-live package --transcode auto --ladder …` against ONE ffmpeg CLI command
# producing the same renditions from the same 1080i25 MPEG-2 + MP2 MPEG-TS input (a DVB/SDI-encoder style feed).
#
# This is a benchmark, not a test: it prints numbers and fails only when an output is not sane.
#
# The work both tools do, rendition for rendition:
#   input     demux MPEG-TS; decode MPEG-2 1080i25 once; decode each MP2 track once
#   picture   bwdif deinterlace, one frame per frame (send_frame: 25i -> 25p), parity from the stream
#   source    H.264 1920x1080p25, libx264 PRESET (veryfast), tune zerolatency, no B-frames, an IDR every 2 s
#             (the segment target) and no scene-cut keyframes, 5 Mbit/s (our by-height default for 1080)
#   rungs     per LADDER entry: scaled from the same deinterlaced frames to that height (width keeps 16:9,
#             even), same x264 settings, that bitrate (default one rung: 360p, 640x360, 600 kbit/s)
#   audio     the first (floor) track encoded ONCE to AAC-LC 128 kbit/s stereo 48 kHz and muxed into the source
#             and every rung, plus an audio-only rendition of it; with TRACKS=2 the second track (eng) is also
#             encoded once to AAC and written as its own audio-only rendition (`audio2`)
#   output    fMP4 HLS, 2 s segments, one folder per rendition (init + {n}.m4s + a VOD media playlist)
# ffmpeg does the fan-out with the tee muxer (one encoder per output stream, one hls muxer per rendition),
# which is what our ingest does; var_stream_map cannot put one audio stream into several variants, so it
# would have to encode the floor audio once per variant.
# What ours does on top: LL-HLS parts (a fragment every 0.333 s, so each segment is several moof/mdat pairs
# instead of one), a segments.jsonl disk index per rendition (msn, duration, program-date-time), a
# multivariant playlist with measured BANDWIDTH, and its own buffering between the read, the decoders and the
# encoders (so a slow encoder never stalls the copy). ffmpeg writes no multivariant playlist here.
#
# Rows: ffmpeg (the reference), ours (the same renditions), ffmpeg-noladder and ours-noladder (--ladder "":
# source + audio only, to price one rung), ours-copy (--transcode never on an H.264 1080p25 5 Mbit/s + AAC
# input of the same length: the packaging-only cost). The per-rendition costs are differences of medians.
# "cores" = CPU seconds per media second: how much of this machine a live channel of that shape keeps busy.
#
# Usage:   Benchmarks/ladder.sh
# Env:     SENATE_LIVE_BIN  binary to run (default: .build-release/release/senate-live, built if missing;
#                           NOT rebuilt when stale; not needed when TOOLS has no `ours*` row)
#          DURATION         input length in seconds (default 60)
#          RUNS             timed rounds (default 3); each round runs every tool once, medians are reported
#          TRACKS           audio tracks in the input: 1 (default, floor `tha`) or 2 (+ interpretation `eng`)
#          LADDER           our --ladder value, "name:height:bitrate,…" (default "360p:360:600000")
#          PRESET           x264 preset for both (default veryfast)
#          TOOLS            rows to run (default "ffmpeg ours ffmpeg-noladder ours-noladder ours-copy")
#          KEEP             1 keeps round 1's output folders (their path is printed); default 0
#          TMPDIR           where the per-run output folders go (default /tmp)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
CACHE_DIR="$BENCH_DIR/.cache"
DURATION="${DURATION:-60}"
RUNS="${RUNS:-3}"
TRACKS="${TRACKS:-1}"
LADDER="${LADDER-360p:360:600000}"
PRESET="${PRESET:-veryfast}"
TOOLS="${TOOLS:-ffmpeg ours ffmpeg-noladder ours-noladder ours-copy}"
KEEP="${KEEP:-0}"
SEGMENT=2          # seconds, both tools
PART=0.333         # ours only
SOURCE_BITRATE=5000000   # ours by height: 1080 -> 5 Mbit/s
AUDIO_BITRATE=128k

die() { echo "ladder.sh: error: $*" >&2; exit 1; }

[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 10 ]] || die "DURATION must be an integer >= 10 (seconds), got '$DURATION'"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || die "RUNS must be an integer >= 1, got '$RUNS'"
[[ "$TRACKS" == 1 || "$TRACKS" == 2 ]] || die "TRACKS must be 1 or 2, got '$TRACKS'"
[[ "$PRESET" =~ ^[a-z]+$ ]] || die "PRESET must be an x264 preset name, got '$PRESET'"
for tool in $TOOLS; do
    case "$tool" in ffmpeg | ours | ffmpeg-noladder | ours-noladder | ours-copy) ;; *) die "unknown tool '$tool' in TOOLS" ;; esac
done
command -v ffmpeg >/dev/null || die "ffmpeg is not installed (apt-get install -y ffmpeg)"
command -v ffprobe >/dev/null || die "ffprobe is not installed (apt-get install -y ffmpeg)"

# The ladder, parsed once: RUNG_NAMES[i], RUNG_HEIGHTS[i], RUNG_BITRATES[i].
RUNG_NAMES=() RUNG_HEIGHTS=() RUNG_BITRATES=()
if [[ -n "$LADDER" ]]; then
    IFS=',' read -r -a rungs <<<"$LADDER"
    for rung in "${rungs[@]}"; do
        [[ "$rung" =~ ^([A-Za-z0-9_-]+):([0-9]+):([0-9]+)$ ]] || die "LADDER entry '$rung' is not name:height:bitrate"
        RUNG_NAMES+=("${BASH_REMATCH[1]}") RUNG_HEIGHTS+=("${BASH_REMATCH[2]}") RUNG_BITRATES+=("${BASH_REMATCH[3]}")
    done
fi
[[ ${#RUNG_NAMES[@]} -gt 0 ]] || die "LADDER is empty: the ladder rows need at least one rung (the -noladder rows are the no-rung case)"

# GNU time gives user/sys CPU and max RSS: the CPU figures are the point of this benchmark.
[[ -x /usr/bin/time ]] && /usr/bin/time -f %M true >/dev/null 2>&1 || die "GNU time not found (apt-get install -y time)"

# --- the binary -----------------------------------------------------------------------------------
BIN="(not used)"
if [[ " $TOOLS " == *" ours"* ]]; then source "$BENCH_DIR/binary.sh"; fi

# --- the inputs (generated once, cached) ----------------------------------------------------------
# 1080i25: testsrc2 at 50 frames/s woven into 25 interlaced frames (top field first), so the two fields of a
# frame really differ in time and the deinterlacer has motion to work on; MPEG-2 MP@HL at 15 Mbit/s CBR-ish
# with a broadcast GOP (12, two B-frames), field-coded (+ilme+ildct); MP2 192 kbit/s stereo per track.
mkdir -p "$CACHE_DIR"
audio_sources=(-f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$DURATION")
audio_maps=(-map 1:a -metadata:s:a:0 language=tha)
if [[ "$TRACKS" == 2 ]]; then
    audio_sources+=(-f lavfi -i "sine=frequency=660:sample_rate=48000:duration=$DURATION")
    audio_maps+=(-map 2:a -metadata:s:a:1 language=eng)
fi
INPUT="$CACHE_DIR/input-${DURATION}s-1080i25-mpeg2-mp2x${TRACKS}.ts"
if [[ ! -s "$INPUT" ]]; then
    echo "generating $INPUT (${DURATION}s, encodes once, then cached)..." >&2
    partial="$INPUT.partial.ts"
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=1920x1080:rate=50:duration=$DURATION" "${audio_sources[@]}" \
        -map 0:v "${audio_maps[@]}" \
        -vf "interlace=scan=tff:lowpass=complex" \
        -c:v mpeg2video -pix_fmt yuv420p -flags +ilme+ildct -top 1 -field_order tt \
        -b:v 15M -minrate 15M -maxrate 15M -bufsize 9781248 -g 12 -bf 2 \
        -c:a mp2 -b:a 192k -ac 2 \
        -f mpegts "$partial"
    mv "$partial" "$INPUT"    # only a complete file ever gets the cached name
fi
# The copy row's input: the same picture as progressive H.264 1080p25 at our 1080 source bitrate + AAC, so
# `--transcode never` packages about what the transcoded source rendition carries.
COPY_INPUT="$CACHE_DIR/input-${DURATION}s-1080p25-h264-aacx${TRACKS}.ts"
if [[ " $TOOLS " == *" ours-copy "* && ! -s "$COPY_INPUT" ]]; then
    echo "generating $COPY_INPUT (${DURATION}s, encodes once, then cached)..." >&2
    partial="$COPY_INPUT.partial.ts"
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=$DURATION" "${audio_sources[@]}" \
        -map 0:v "${audio_maps[@]}" \
        -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 \
        -b:v 5M -maxrate 5M -bufsize 10M \
        -c:a aac -b:a "$AUDIO_BITRATE" -ac 2 \
        -f mpegts "$partial"
    mv "$partial" "$COPY_INPUT"
fi
# Video frames in a file or playlist (the first stream section: ffprobe repeats it per program).
video_frames() {
    ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1" </dev/null 2>/dev/null \
        | awk -F, '$1 != "" { print $1; found = 1; exit } END { if (!found) print "?" }'
}
INPUT_DURATION="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$INPUT")"
INPUT_BYTES="$(stat -c %s "$INPUT")"


INPUT_FRAMES="$(video_frames "$INPUT")"

# --- per-run output folders -----------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ladder-bench.XXXXXX")"
[[ "$WORK" =~ ^[A-Za-z0-9_./-]+$ ]] || die "the work folder '$WORK' has characters the tee muxer's syntax cannot take (set TMPDIR)"
[[ "$KEEP" == 1 ]] || trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.tsv"   # tool, wall s, user s, sys s, max RSS KiB
: >"$RESULTS"
WARNINGS="$WORK/warnings.txt"
: >"$WARNINGS"
warn() { echo "  WARNING: $*" >&2; echo "$*" >>"$WARNINGS"; }

# The renditions a tool's output must have, each as name:expected streams:video height.
expected_renditions() {
    local tool="$1" i
    echo "source:h264,aac:1080"
    if [[ "$tool" == ffmpeg || "$tool" == ours ]]; then
        for i in "${!RUNG_NAMES[@]}"; do echo "${RUNG_NAMES[$i]}:h264,aac:${RUNG_HEIGHTS[$i]}"; done
    fi
    echo "audio:aac:"
    [[ "$TRACKS" == 2 ]] && echo "audio2:aac:"
    return 0
}

# Prints "h264,aac 1080" (codec names in stream order, then the video height) for init + first segment.
probe_first_segment() {
    local dir="$1" init first joined="$WORK/first-segment.mp4"
    init="$(grep -m1 -o '#EXT-X-MAP:URI="[^"]*"' "$dir/index.m3u8" | sed -E 's/.*URI="([^"]*)"/\1/')"
    first="$(grep -m1 -v '^#' "$dir/index.m3u8")"
    [[ -n "$init" && -s "$dir/$init" ]] || { echo "no-init -"; return; }
    [[ -n "$first" && -s "$dir/$first" ]] || { echo "no-segment -"; return; }
    cat "$dir/$init" "$dir/$first" >"$joined"
    ffprobe -v error -show_entries stream=codec_name,height -of csv=p=0 "$joined" </dev/null 2>/dev/null | awk -F, '
        { codecs = codecs (NR > 1 ? "," : "") $1; if ($2 != "") height = $2 }
        END { print (codecs == "" ? "unreadable" : codecs), (height == "" ? "-" : height) }'
}

segment_count() { grep -c '^#EXTINF' "$1/index.m3u8" || true; }
playlist_seconds() { awk -F'[:,]' '/^#EXTINF/ { s += $2 } END { printf "%.3f", s }' "$1/index.m3u8"; }

check_output() {
    local tool="$1" out="$2" log="$3" spec name want height got got_codecs got_height count seconds
    local first_count="" first_name="" source_frames=""
    while IFS=: read -r name want height; do
        local dir="$out/$name"
        [[ -s "$dir/index.m3u8" ]] || { tail -20 "$log" >&2; die "$tool: no media playlist $name/index.m3u8 (renditions: $(ls "$out" | tr '\n' ' '))"; }
        read -r got_codecs got_height <<<"$(probe_first_segment "$dir")"
        [[ "$got_codecs" == "$want" ]] || die "$tool: $name's first segment reads as '$got_codecs', want '$want'"
        [[ -z "$height" || "$got_height" == "$height" ]] || die "$tool: $name's video is ${got_height} lines high, want $height"
        count="$(segment_count "$dir")"
        seconds="$(playlist_seconds "$dir")"
        # The total must be the input's within 1% (or 1 s): anything else is a broken transcode.
        awk -v got="$seconds" -v want="$INPUT_DURATION" 'BEGIN { d = got - want; if (d < 0) d = -d; tol = want * 0.01; if (tol < 1) tol = 1; exit !(d <= tol) }' \
            || die "$tool: $name lasts ${seconds}s, the input ${INPUT_DURATION}s"
        if [[ -z "$first_count" ]]; then
            first_count="$count" first_name="$name"
        elif [[ "$count" != "$first_count" ]]; then
            # ffmpeg's audio-only hls muxer cuts on any packet and leaves a last segment of a frame or two
            # (the MP2 runs a few ms past the video): one more segment there is the reference's quirk.
            if [[ "$tool" == ffmpeg* && -z "$height" && "$count" == $((first_count + 1)) ]]; then
                echo "  note: $tool $name has $count segments, $first_name $first_count (ffmpeg's audio-only tail segment)" >&2
            else
                die "$tool: $name has $count segments, $first_name has $first_count"
            fi
        fi
        local extra=""
        if [[ -n "$height" ]]; then
            # One pass over the packets: frames (25i -> 25p keeps the count) and keyframes (one per segment:
            # IDR forced at the cuts, no scene-cut keyframes in between).
            local frames keys
            read -r frames keys <<<"$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$dir/index.m3u8" </dev/null 2>/dev/null \
                | awk '{ n++ } /K/ { k++ } END { print n + 0, k + 0 }')"
            extra=", $frames frames, $keys keyframes"
            [[ "$frames" == "$INPUT_FRAMES" ]] || warn "$tool: $name has $frames video frames, the input $INPUT_FRAMES (25i -> 25p keeps the count)"
            [[ "$keys" == "$count" ]] || warn "$tool: $name has $keys keyframes in $count segments (want one IDR per segment)"
        fi
        echo "  ok: $tool $name: first segment $got_codecs${height:+ ${got_height}p}, $count segments, ${seconds}s$extra" >&2
    done < <(expected_renditions "$tool")

    # Ours only: what the ladder promises (segment n of every rendition covers the same time) and what the
    # multivariant playlist must say. Reported as warnings: the figures above are still valid.
    [[ "$tool" == ours* ]] || return 0
    local mv="$out/index.m3u8" i
    [[ -s "$mv" ]] || { warn "$tool: no multivariant playlist"; return 0; }
    if grep -qiE 'CODECS="[^"]*(mpeg2video|mp2|h264|aac[^.]|ac-3)' "$mv"; then warn "$tool: multivariant CODECS has an FFmpeg name: $(grep -o 'CODECS="[^"]*"' "$mv" | sort -u | tr '\n' ' ')"; fi
    grep -q 'RESOLUTION=1920x1080' "$mv" || warn "$tool: multivariant has no RESOLUTION=1920x1080"
    if [[ "$tool" != ours-copy ]] && ! grep -q 'FRAME-RATE=25.000' "$mv"; then warn "$tool: multivariant has no FRAME-RATE=25.000 (deinterlaced 25p)"; fi
    # Segments as long as asked (ffmpeg cuts every SEGMENT s: longer segments mean fewer IDR frames than the
    # reference), and program-date-time advancing by each segment's duration (within a frame).
    local median
    median="$(awk '/^#EXTINF:/ { split(substr($0, 9), a, ","); print a[1] }' "$out/source/index.m3u8" | sed '$d' | sort -g \
        | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "NA") }')"
    awk -v m="$median" -v t="$SEGMENT" 'BEGIN { d = m - t; if (d < 0) d = -d; exit !(m != "NA" && d <= 0.041) }' \
        || warn "$tool: source segments last ${median}s (median), --segment-target is ${SEGMENT}s"
    while IFS=: read -r name _ _; do
        local jumps
        jumps="$(awk '
            function seconds(stamp,   t, hms) { split(stamp, t, "T"); split(t[2], hms, ":"); return hms[1] * 3600 + hms[2] * 60 + hms[3] }
            /^#EXT-X-PROGRAM-DATE-TIME:/ { pdt = seconds(substr($0, 26)) }
            /^#EXTINF:/ { split(substr($0, 9), a, ","); dur = a[1] }
            /^[^#]/ { if (n++) { step = pdt - last; if (step < -43200) step += 86400; d = step - lastdur
                    if (d > 0.041 || d < -0.041) { bad++; if (!first) first = sprintf("%s starts %+.3fs after the previous one ends", $0, d) } }
                last = pdt; lastdur = dur }
            END { if (bad) print bad " of " n - 1 " steps, first: " first }' "$out/$name/index.m3u8")"
        [[ -z "$jumps" ]] || warn "$tool: $name program-date-time does not follow the durations: $jumps"
    done < <(expected_renditions "$tool")
    [[ "$tool" == ours ]] || return 0
    for i in "${!RUNG_NAMES[@]}"; do
        local rung="${RUNG_NAMES[$i]}"
        grep -q "^$rung/index.m3u8" "$mv" || warn "$tool: multivariant does not list $rung/index.m3u8"
        # Same msn -> same program-date-time and a duration within one frame (40 ms at 25p).
        local diff
        diff="$(awk '
            FNR == 1 { file++ }
            /^#EXT-X-PROGRAM-DATE-TIME:/ { pdt = substr($0, 26) }
            /^#EXTINF:/ { split(substr($0, 9), a, ","); dur = a[1] }
            /^[^#]/ { if (file == 1) { P[$0] = pdt; D[$0] = dur } else { n++
                if (!($0 in D)) { bad++; if (!first) first = $0 " missing in source" }
                else { d = D[$0] - dur; if (d < 0) d = -d; if (d > 0.041 || P[$0] != pdt) { bad++; if (!first) first = $0 ": " D[$0] "s " P[$0] " vs " dur "s " pdt } } } }
            END { if (bad) print bad " of " n " segments differ, first: " first }' "$out/source/index.m3u8" "$out/$rung/index.m3u8")"
        [[ -z "$diff" ]] && echo "  ok: $tool $rung: every segment has source's program-date-time and duration (within a frame)" >&2 \
            || warn "$tool: $rung against source: $diff"
    done
}

# The reference: one ffmpeg command, the same renditions (see the header), fanned out by the tee muxer.
ffmpeg_command() {
    local tool="$1" out="$2" i n filter maps=() rates=() slaves="" hls
    n=$([[ "$tool" == ffmpeg ]] && echo "${#RUNG_NAMES[@]}" || echo 0)
    hls="f=hls:hls_segment_type=fmp4:hls_time=$SEGMENT:hls_playlist_type=vod:hls_flags=independent_segments"
    if [[ $n -eq 0 ]]; then
        filter="[0:v:0]bwdif=mode=send_frame:parity=auto:deint=all[v0]"
    else
        filter="[0:v:0]bwdif=mode=send_frame:parity=auto:deint=all,split=$((n + 1))[v0]"
        for ((i = 1; i <= n; i++)); do filter+="[s$i]"; done
        for ((i = 1; i <= n; i++)); do filter+=";[s$i]scale=-2:${RUNG_HEIGHTS[$((i - 1))]}[v$i]"; done
    fi
    maps=(-map "[v0]")
    rates=(-b:v:0 "$SOURCE_BITRATE")
    mkdir -p "$out/source"
    slaves="[select=0,$((n + 1)):onfail=abort:$hls:hls_segment_filename=$out/source/%d.m4s]$out/source/index.m3u8"
    for ((i = 1; i <= n; i++)); do
        local name="${RUNG_NAMES[$((i - 1))]}"
        maps+=(-map "[v$i]")
        rates+=("-b:v:$i" "${RUNG_BITRATES[$((i - 1))]}")
        mkdir -p "$out/$name"
        slaves+="|[select=$i,$((n + 1)):onfail=abort:$hls:hls_segment_filename=$out/$name/%d.m4s]$out/$name/index.m3u8"
    done
    maps+=(-map 0:a:0)
    mkdir -p "$out/audio"
    slaves+="|[select=$((n + 1)):onfail=abort:$hls:hls_segment_filename=$out/audio/%d.m4s]$out/audio/index.m3u8"
    if [[ "$TRACKS" == 2 ]]; then
        maps+=(-map 0:a:1)
        mkdir -p "$out/audio2"
        slaves+="|[select=$((n + 2)):onfail=abort:$hls:hls_segment_filename=$out/audio2/%d.m4s]$out/audio2/index.m3u8"
    fi
    CMD=(ffmpeg -hide_banner -loglevel error -nostdin -y -i "$INPUT"
        -filter_complex "$filter" "${maps[@]}"
        -c:v libx264 -preset "$PRESET" -tune zerolatency -bf 0 -g $((SEGMENT * 25)) -keyint_min $((SEGMENT * 25)) -sc_threshold 0
        -force_key_frames "expr:gte(t,n_forced*$SEGMENT)" -forced-idr 1 "${rates[@]}"
        -c:a aac -b:a "$AUDIO_BITRATE" -ac 2 -ar 48000
        -f tee "$slaves")
}

# The words as one could paste them into a shell (single quotes only where needed).
shell_words() {
    local word out=""
    for word in "$@"; do
        if [[ "$word" =~ ^[A-Za-z0-9_./:=,+%@-]+$ ]]; then out+="$word "; else out+="'${word//\'/\'\\\'\'}' "; fi
    done
    echo "${out% }"
}

# Runs one tool once into a fresh folder, appends its numbers to $RESULTS, checks the output when asked.
run_one() {
    local tool="$1" check="$2" out log stats t0 t1 wall user sys rss
    out="$(mktemp -d "$WORK/$tool.XXXXXX")"
    log="$WORK/$tool.log"
    case "$tool" in
        ffmpeg | ffmpeg-noladder) ffmpeg_command "$tool" "$out" ;;
        ours)          CMD=("$BIN" package "$INPUT" --output "$out" --transcode auto --ladder "$LADDER" --preset "$PRESET"
                            --segment-target "$SEGMENT" --part-target "$PART") ;;
        ours-noladder) CMD=("$BIN" package "$INPUT" --output "$out" --transcode auto --ladder "" --preset "$PRESET"
                            --segment-target "$SEGMENT" --part-target "$PART") ;;
        ours-copy)     CMD=("$BIN" package "$COPY_INPUT" --output "$out" --transcode never --ladder ""
                            --segment-target "$SEGMENT" --part-target "$PART") ;;
    esac
    [[ "$check" == 1 ]] && shell_words "${CMD[@]}" >"$WORK/$tool.command"
    stats="$WORK/time.out"
    # Wall time from the shell clock: finer than time's %e (10 ms).
    t0="$(date +%s.%N)"
    if ! /usr/bin/time -o "$stats" -f "%U %S %M" "${CMD[@]}" </dev/null >"$log" 2>&1; then
        tail -30 "$log" >&2
        die "$tool failed (see above; command: $(shell_words "${CMD[@]}"))"
    fi
    t1="$(date +%s.%N)"
    wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
    read -r user sys rss <"$stats"
    if [[ "$check" == 1 ]]; then
        check_output "$tool" "$out" "$log"
        if [[ -s "$log" ]]; then
            echo "  $tool said ($(wc -l <"$log") lines, first 5):" >&2
            head -5 "$log" | sed 's/^/    /' >&2
        fi
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$wall" "$user" "$sys" "$rss" >>"$RESULTS"
    printf '  %-16s %8.2f s wall  (user %s s, sys %s s, max RSS %s KiB)\n' "$tool" "$wall" "$user" "$sys" "$rss" >&2
    if [[ "$KEEP" == 1 && "$check" == 1 ]]; then echo "  kept: $out" >&2; else rm -rf "$out"; fi
}

# --- machine info ---------------------------------------------------------------------------------
echo "== machine"
echo "nproc:   $(nproc)"
echo "cpu:     $(lscpu 2>/dev/null | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the runs)"
echo "ffmpeg:  $(ffmpeg -version | head -1)"
echo "ours:    $BIN"
awk -v b="$INPUT_BYTES" -v d="$INPUT_DURATION" -v f="$INPUT" -v n="$INPUT_FRAMES" -v t="$TRACKS" 'BEGIN {
    printf "input:   %s\n         %.1f MiB, %.2f s, %d frames, %.2f Mb/s, MPEG-2 1920x1080i25 tff + %d x MP2\n", f, b / 1048576, d, n, b * 8 / d / 1e6, t }'
[[ " $TOOLS " == *" ours-copy "* ]] && echo "copy:    $COPY_INPUT"
echo "ladder:  $LADDER; preset $PRESET; ${SEGMENT} s segments (ours: ${PART} s parts)"
echo "runs:    $RUNS rounds of: $TOOLS"

# Read the inputs once so every timed run (the first included) starts from a warm page cache.
cat "$INPUT" >/dev/null
[[ " $TOOLS " == *" ours-copy "* ]] && cat "$COPY_INPUT" >/dev/null

# --- timed rounds ---------------------------------------------------------------------------------
source "$BENCH_DIR/rounds.sh"
read -r -a tools <<<"$TOOLS"
run_rounds "${tools[@]}"

# --- table ----------------------------------------------------------------------------------------
has() { [[ " $TOOLS " == *" $1 "* ]]; }
# calc EXPRESSION A B: the expression of a and b to two decimals, "-" when either is missing.
calc() { awk -v a="$2" -v b="$3" 'BEGIN { if (a == "NA" || b == "NA" || a == "-" || b == "-") { print "-"; exit } printf "%.2f", '"$1"' }'; }
# CPU seconds per media minute, from the median of user+sys.
cpu_per_min() { local c; c="$(summarize "$1" '$3 + $4' median)"; [[ "$c" == NA ]] && echo NA || awk -v c="$c" -v d="$INPUT_DURATION" 'BEGIN { printf "%.2f", c * 60 / d }'; }

label() {
    case "$1" in
        ffmpeg)          echo "ffmpeg (source + ${RUNG_NAMES[*]} + audio)" ;;
        ours)            echo "ours --ladder (same)" ;;
        ffmpeg-noladder) echo "ffmpeg (source + audio)" ;;
        ours-noladder)   echo "ours --ladder \"\" (same)" ;;
        ours-copy)       echo "ours --transcode never, H.264 in" ;;
    esac
}
reference() { case "$1" in ours) echo ffmpeg ;; ours-noladder) echo ffmpeg-noladder ;; *) echo "" ;; esac; }

echo
echo "== results ($RUNS runs each; medians; RSS is the max over runs; input $(printf '%.2f' "$INPUT_DURATION") s of media)"
printf '%-38s %10s %7s %8s %8s %8s %8s %10s %10s\n' tool "CPU s/min" cores "wall s" realtime "user s" "sys s" "RSS MiB" "CPU /ff"
for tool in ffmpeg ours ffmpeg-noladder ours-noladder ours-copy; do
    has "$tool" || continue
    cpm="$(cpu_per_min "$tool")"
    wall="$(summarize "$tool" '$2' median)"
    rss="$(summarize "$tool" '$5' max)"
    ref="$(reference "$tool")"
    vs="-"
    if [[ -n "$ref" ]] && has "$ref"; then vs="$(calc 'a / b' "$cpm" "$(cpu_per_min "$ref")")"; fi
    printf '%-38s %10.2f %7.2f %8.2f %7.2fx %8.2f %8.2f %10.0f %10s\n' "$(label "$tool")" "$cpm" "$(calc 'a / 60' "$cpm" 1)" "$wall" \
        "$(calc 'a / b' "$INPUT_DURATION" "$wall")" "$(summarize "$tool" '$3' median)" "$(summarize "$tool" '$4' median)" \
        "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$vs"
done
echo "(CPU s/min: user+sys CPU seconds per minute of media; cores: the same per second, i.e. cores kept busy at"
echo " real time; realtime: media seconds per wall second, as fast as it reads; CPU /ff: ours / the ffmpeg row above)"

echo
if has ours && has ffmpeg; then
    echo "ratio (ours / ffmpeg, CPU per media minute, full ladder): $(calc 'a / b' "$(cpu_per_min ours)" "$(cpu_per_min ffmpeg)")   target <= 1.00"
    echo "ratio (ours / ffmpeg, wall time, full ladder):           $(calc 'a / b' "$(summarize ours '$2' median)" "$(summarize ffmpeg '$2' median)")"
fi
if has ours-noladder && has ffmpeg-noladder; then
    echo "ratio (ours / ffmpeg, CPU per media minute, no ladder):  $(calc 'a / b' "$(cpu_per_min ours-noladder)" "$(cpu_per_min ffmpeg-noladder)")"
fi

echo
echo "== cost per rendition (CPU s per media minute, differences of the medians above; cores = /60)"
row() { printf '%-72s %10s %7s\n' "$1" "$2" "$([[ "$2" == - || "$2" == NA ]] && echo - || calc 'a / 60' "$2" 1)"; }
printf '%-72s %10s %7s\n' rendition "CPU s/min" cores
has ours-copy && row "ours: packaging a copied H.264 1080p 5 Mb/s source + audio" "$(cpu_per_min ours-copy)"
has ours-copy && has ours-noladder && row "ours: transcoding the source (MPEG-2 decode, bwdif, x264 1080p, AAC)" \
    "$(calc 'a - b' "$(cpu_per_min ours-noladder)" "$(cpu_per_min ours-copy)")"
has ours && has ours-noladder && row "ours: each ${RUNG_NAMES[*]} rung (scale + x264)" \
    "$(calc "(a - b) / ${#RUNG_NAMES[@]}" "$(cpu_per_min ours)" "$(cpu_per_min ours-noladder)")"
has ffmpeg && has ffmpeg-noladder && row "ffmpeg: each ${RUNG_NAMES[*]} rung (scale + x264)" \
    "$(calc "(a - b) / ${#RUNG_NAMES[@]}" "$(cpu_per_min ffmpeg)" "$(cpu_per_min ffmpeg-noladder)")"

echo
echo "load after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (above ~0.5 before or after, other work shared the $(nproc) cores: trust CPU s more than wall s)"

echo
echo "== commands (round 1)"
for tool in $TOOLS; do [[ -s "$WORK/$tool.command" ]] && echo "$tool: $(cat "$WORK/$tool.command")"; done

if [[ -s "$WARNINGS" ]]; then
    echo
    echo "== warnings (the figures stand; the output has these problems)"
    sed 's/^/  /' "$WARNINGS"
fi
[[ "$KEEP" == 1 ]] && echo && echo "kept: $WORK (round 1's outputs and logs)"
exit 0
