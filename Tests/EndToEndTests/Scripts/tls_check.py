#!/usr/bin/env python3
"""The viewer over HTTPS + HTTP/2 in headless Chromium (self-signed certificate, so errors are ignored).

usage: tls_check.py HTTPS_BASE PLAIN_BASE OPERATOR_TOKEN

Checks: the picture plays; the browser fetched media over h2 (resource timing's nextHopProtocol); the page,
which cannot open a WebSocket on this port, follows the sitting over SSE (a published title appears).
"""
import sys
import time

from selenium.webdriver.common.by import By

from senate_client import Server, browser, wait

SECURE, PLAIN, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
driver = browser(extra_flags=["--ignore-certificate-errors"])
try:
    driver.get(f"{SECURE}/watch/senate")
    wait(lambda: driver.execute_script("return document.getElementById('video').currentTime") > 1, 40, "the picture plays over HTTPS")
    first = driver.execute_script("return document.getElementById('video').currentTime")
    time.sleep(1.5)
    assert driver.execute_script("return document.getElementById('video').currentTime") > first + 0.5, "playback goes on"
    protocols = driver.execute_script(
        "return [...new Set(performance.getEntriesByType('resource').filter(e => e.name.includes('/live/')).map(e => e.nextHopProtocol))]")
    assert protocols == ["h2"], f"media protocols: {protocols}"
    time.sleep(4)  # two failed WebSocket attempts, then SSE
    Server(PLAIN, TOKEN).publish([{"type": "sitting.started", "data": {"title": "การประชุมผ่าน HTTPS", "chamber": "senate", "number": 3,
                                                                     "scheduledAt": "2026-12-01T09:00:00Z"}}])
    wait(lambda: "HTTPS" in driver.find_element(By.ID, "title").text, 20, "the title arrives over SSE")
    print('{"protocols": %s}' % protocols)
except Exception as error:
    print(f"FAILED: {error}", file=sys.stderr)
    sys.exit(1)
finally:
    driver.quit()
