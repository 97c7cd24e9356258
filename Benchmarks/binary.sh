# Sourced by the benchmarks: sets BIN to the release `senate-live` to measure.
# SENATE_LIVE_BIN wins; otherwise .build-release/release/senate-live, built when missing (never rebuilt when
# stale: delete it, or pass your own, to measure new code). Never builds into .build, where a developer's
# incremental debug build lives. Needs ROOT (the repository) and die().
if [[ -n "${SENATE_LIVE_BIN:-}" ]]; then
    BIN="$SENATE_LIVE_BIN"
else
    BIN="$ROOT/.build-release/release/senate-live"
    if [[ ! -x "$BIN" ]]; then
        echo "building $BIN (release, several minutes)..." >&2
        (cd "$ROOT" && swift build -c release --scratch-path .build-release --product senate-live) >&2
    fi
fi
[[ -x "$BIN" ]] || die "senate-live binary not found or not executable: $BIN"
