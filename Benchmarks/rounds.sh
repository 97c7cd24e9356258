# Shared by the benchmarks that time tools against a reference (remux.sh, ladder.sh): source it after
# defining `run_one TOOL FIRST_ROUND` (which appends "tool<TAB>wall<TAB>user<TAB>sys<TAB>rssKiB" lines to
# $RESULTS) and setting RUNS.

# run_rounds TOOL…: RUNS rounds of every tool. Interleaving the tools inside each round spreads slow drifts
# (thermal, neighbours) over all of them; the order within a round rotates so no tool always runs right
# after the same other one.
run_rounds() {
    local tools=("$@") round k
    for ((round = 1; round <= RUNS; round++)); do
        echo "round $round/$RUNS" >&2
        for ((k = 0; k < ${#tools[@]}; k++)); do
            run_one "${tools[$(((k + round - 1) % ${#tools[@]}))]}" "$([[ $round == 1 ]] && echo 1 || echo 0)"
        done
    done
}

# summarize TOOL EXPRESSION median|min|max: over the tool's rows of $RESULTS, an awk expression of the fields
# ($2 wall, $3 user, $4 sys, $5 RSS KiB; rows where a field it uses is NA are left out). NA when there is none.
summarize() {
    local used
    used="$(grep -o '\$[0-9]' <<<"$2" | tr -d '$' | tr '\n' ' ')"
    awk -F'\t' -v t="$1" -v used="$used" '$1 == t { n = split(used, u, " "); for (i = 1; i <= n; i++) if ($(u[i]) == "NA") next; print '"$2"' }' "$RESULTS" | sort -g | awk -v what="$3" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "NA"; exit }
            if (what == "min") print v[1]
            else if (what == "max") print v[NR]
            else if (NR % 2) print v[(NR + 1) / 2]
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
