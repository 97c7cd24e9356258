#!/usr/bin/env python3
"""The viewer page across a server restart, in headless Chromium (Selenium).

usage: reconnect_check.py BASE_URL OPERATOR_TOKEN READY_FILE
Opens the viewer, publishes a notice, creates READY_FILE and waits for the caller to restart the server
(it removes the file); then publishes a second notice and checks that the page reconnected by itself and
shows both notices once each. Also samples the page's own reconnect delays: random, spread, growing,
bounded. Prints one JSON line; exits non-zero with the reason on the first failed check.
"""
import json
import os
import sys
import time

from senate_client import Server, browser, wait

BASE, TOKEN, READY = sys.argv[1], sys.argv[2], sys.argv[3]
SERVER = Server(BASE, TOKEN)


def publish(event):
    return SERVER.publish(event)


def notices(driver):
    return [element.text for element in driver.find_elements("css selector", "#notices .notice")]


def main():
    driver = browser()
    try:
        driver.get(f"{BASE}/watch/senate")
        wait(lambda: driver.execute_script("return window.senateLive?.feed?.lastSeq !== null"), 20, "the page subscribed")
        publish({"type": "notice", "data": {"text": "before the restart"}})
        wait(lambda: "before the restart" in notices(driver), 10, "the first notice")
        open(READY, "w").close()
        while os.path.exists(READY):
            time.sleep(0.1)
        publish({"type": "notice", "data": {"text": "after the restart"}})
        _, seconds = wait(lambda: "after the restart" in notices(driver), 60, "the notice after the restart")
        shown = notices(driver)
        assert shown.count("before the restart") == 1 and shown.count("after the restart") == 1, shown
        delays = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            import('/assets/feed.js').then(m => done({
              first: Array.from({length: 2000}, () => m.reconnectDelay(1)),
              fourth: Array.from({length: 2000}, () => m.reconnectDelay(4)),
              late: Array.from({length: 2000}, () => m.reconnectDelay(20)),
            }));
        """)
        for name, bound in [("first", 1000), ("fourth", 8000), ("late", 30000)]:
            values = delays[name]
            assert 0 <= min(values) and max(values) < bound, (name, min(values), max(values))
            assert max(values) - min(values) > bound * 0.8, (name, "not spread", min(values), max(values))
        print(json.dumps({"resumedAfterSeconds": round(seconds, 2), "notices": shown,
                          "firstDelayMs": [min(delays["first"]), max(delays["first"])]}))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
