#!/usr/bin/env python3
"""The pages' reducer (assets/sitting-state.js, as the server serves it) against the shared fixture, in
headless Chromium (Selenium).

usage: sitting_state_check.py BASE_URL FIXTURE_PATH
For each case of the fixture (Tests/Fixtures/sitting-state.json): stateFrom(), then applyEvent for each
event, must give the case's snapshot, the one the server's ChannelState gives; so must a page that joined
half way (the state after half the events, through JSON as the wire carries it, then the rest).
Prints one JSON line of per-case results; exits 1 with a diff of each mismatch.
"""
import difflib
import json
import sys

from senate_client import browser, wait

BASE, FIXTURE = sys.argv[1], sys.argv[2]

RUN_CASES = """
const [url, cases, done] = arguments;
import(url).then(({ stateFrom, applyEvent }) => {
  // JSON in and out, as the wire does: an undefined key would not reach a page either.
  const wire = (value) => JSON.parse(JSON.stringify(value));
  const replay = (state, events) => { for (const event of events) applyEvent(state, wire(event)); return state; };
  done(JSON.stringify(cases.map(({ events }) => {
    const half = Math.floor(events.length / 2);
    return {
      live: wire(replay(stateFrom(), events)),
      joined: wire(replay(stateFrom(wire(replay(stateFrom(), events.slice(0, half)))), events.slice(half))),
    };
  })));
}, (error) => done(JSON.stringify({ error: String(error) })));
"""


def pretty(value):
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).splitlines()


def main():
    with open(FIXTURE, encoding="utf-8") as file:
        cases = json.load(file)["cases"]
    driver = browser()
    try:
        driver.set_script_timeout(30)
        driver.get(f"{BASE}/watch/senate")
        wait(lambda: driver.execute_script("return document.readyState") == "complete", 20, "the viewer page loaded")
        outcome = json.loads(driver.execute_async_script(RUN_CASES, f"{BASE}/assets/sitting-state.js", cases))
    finally:
        driver.quit()
    if isinstance(outcome, dict):
        sys.exit(f"sitting-state.js did not run: {outcome['error']}")

    results, diffs = {}, []
    for case, got in zip(cases, outcome):
        failed = [path for path in ("live", "joined") if got[path] != case["snapshot"]]
        results[case["name"]] = "ok" if not failed else "mismatch (" + ", ".join(failed) + ")"
        for path in failed:
            diffs.append(f"--- {case['name']} ({path}): expected snapshot vs sitting-state.js\n" + "\n".join(
                difflib.unified_diff(pretty(case["snapshot"]), pretty(got[path]), "expected", "sitting-state.js", lineterm="")))
    print(json.dumps({"cases": results}, ensure_ascii=False))
    if diffs:
        print("\n\n".join(diffs), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
