#!/usr/bin/env python3
"""Looks at SenateLive's pages as a person would, in headless Chromium driven by Selenium.

usage: browser_check.py BASE_URL OPERATOR_TOKEN SCREENSHOT_DIR

Checks: the viewer plays the live stream and shows a published agenda change and vote within a second; the
transcript follows the picture; the operator console publishes a whole vote through the API and the viewer
shows it; the console reports an API error in words; the archive page seeks to a chapter and honours ?t=;
search finds a Thai word; the embed and the MSE fallback play. Screenshots go to SCREENSHOT_DIR.
Prints one JSON line of measurements; exits non-zero with the reason on the first failed check.
"""
import json
import os
import re
import sys
import time
import urllib.request

from selenium.webdriver.common.by import By

from senate_client import browser, wait

BASE, TOKEN, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(SHOTS, exist_ok=True)
measured = {}


def publish(events):
    request = urllib.request.Request(
        f"{BASE}/api/v1/channels/senate/events", data=json.dumps(events).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


def api(path):
    with urllib.request.urlopen(f"{BASE}{path}", timeout=60) as reply:
        return json.load(reply)


def current_time(driver):
    return driver.execute_script("return document.getElementById('video').currentTime")


def shown(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def check_viewer(viewer):
    # First with progress shown at once (the relay's own speed); the in-step default is checked below.
    viewer.get(f"{BASE}/watch/senate?events=instant")
    wait(lambda: current_time(viewer) > 1, 40, "the viewer's video plays")
    first = current_time(viewer)
    time.sleep(1.5)
    assert current_time(viewer) > first + 0.5, "currentTime advances"
    measured["viewerReadyState"] = viewer.execute_script("return document.getElementById('video').readyState")
    assert viewer.find_element(By.TAG_NAME, "html").get_attribute("lang") == "th"

    started = publish([
        {"type": "sitting.started", "data": {"title": "การประชุมวุฒิสภา ครั้งที่ 21", "chamber": "senate", "number": 21, "scheduledAt": iso(time.time())}},
        {"type": "agenda.set", "data": {"items": [{"id": "i1", "number": "1", "title": "เรื่องที่ประธานแจ้ง"},
                                                {"id": "i2", "number": "2", "title": "ร่างพระราชบัญญัติงบประมาณ", "billId": "b-21"}]}},
        {"type": "agenda.item", "data": {"itemId": "i1"}},
        {"type": "speaker.changed", "data": {"name": "นายประธาน ทดสอบ", "role": "ประธาน"}},
    ])
    wait(lambda: "ครั้งที่ 21" in viewer.find_element(By.ID, "title").text, 5, "the sitting title")

    start = time.time()
    publish([{"type": "agenda.item", "data": {"itemId": "i2"}}])
    wait(lambda: shown(viewer, '#agenda li[data-item="i2"][aria-current="true"]'), 5, "item 2 highlighted")
    measured["agendaSeconds"] = round(time.time() - start, 3)
    assert measured["agendaSeconds"] < 1.0, f"agenda change shown after {measured['agendaSeconds']} s"

    start = time.time()
    publish([{"type": "vote.opened", "data": {"voteId": "v1", "itemId": "i2", "motion": "รับหลักการแห่งร่างพระราชบัญญัติ"}}])
    wait(lambda: "รับหลักการ" in viewer.find_element(By.ID, "vote").text and shown(viewer, "#vote .badge.live"), 5, "the open vote")
    measured["voteOpenedSeconds"] = round(time.time() - start, 3)
    publish([{"type": "vote.tally", "data": {"voteId": "v1", "yes": 2, "no": 1, "abstain": 0, "notVoting": 0}}])
    wait(lambda: viewer.find_element(By.CSS_SELECTOR, '#vote [data-count="yes"] strong').text == "2", 5, "the running tally")
    start = time.time()
    publish([{"type": "vote.closed", "data": {"voteId": "v1", "result": "passed", "yes": 2, "no": 1, "abstain": 0, "notVoting": 0, "records": [
        {"name": "นาง ก", "vote": "yes"}, {"name": "นาย ข", "vote": "yes"}, {"name": "นาย ค", "memberId": "m3", "vote": "no"}]}}])
    wait(lambda: shown(viewer, '#vote [data-result="passed"]') and len(shown(viewer, "#vote ul.records li")) == 3, 5, "the result with records")
    measured["voteClosedSeconds"] = round(time.time() - start, 3)
    assert measured["voteOpenedSeconds"] < 1.0 and measured["voteClosedSeconds"] < 1.0, f"vote shown late: {measured}"

    # In step with the picture (the default): a change waits until the picture on screen reaches its `at`.
    viewer.find_element(By.ID, "instant-events").click()
    said = time.time()
    publish([{"type": "agenda.item", "at": iso(said), "data": {"itemId": "i1"}}])
    wait(lambda: shown(viewer, '#agenda li[data-item="i1"][aria-current="true"]'), 15, "item 1 highlighted in step with the picture")
    on_screen = viewer.execute_script("const d = window.senateLive.player.programDateTime(); return d ? d.getTime() / 1000 : null")
    measured["inStepAgendaSeconds"] = round(time.time() - said, 3)
    assert on_screen is not None and on_screen >= said - 0.3, f"agenda change shown before the picture reached it ({on_screen} < {said})"
    behind = viewer.find_element(By.ID, "behind").text
    assert "วินาที" in behind, f"the page says how far behind live it is: {behind!r}"
    measured["behindBadge"] = behind

    # A line said "now" shows once the picture (behind live) reaches it, not before.
    said = time.time()
    publish([{"type": "transcript.line", "data": {"lineId": "t1", "text": "ขอเปิดการประชุมวุฒิสภา", "speaker": "นายประธาน ทดสอบ",
                                                  "lang": "th", "start": iso(said), "end": iso(said + 1.5), "final": True}}])
    wait(lambda: shown(viewer, '#transcript p[data-line="t1"]'), 30, "the transcript line")
    on_screen = viewer.execute_script("const d = window.senateLive.player.programDateTime(); return d ? d.getTime() / 1000 : null")
    measured["transcriptDelaySeconds"] = round(time.time() - said, 3)
    measured["playbackBehindLiveSeconds"] = round(time.time() - on_screen, 3) if on_screen else None
    assert on_screen is None or on_screen >= said - 0.6, f"line shown before the picture reached it ({on_screen} < {said})"
    viewer.save_screenshot(os.path.join(SHOTS, "viewer.png"))
    return started[0]["sitting"]


def check_console(console, viewer):
    console.get(f"{BASE}/console/senate")
    wait(lambda: console.find_elements(By.CSS_SELECTOR, '#agenda li[data-item="i2"]'), 10, "the console shows the agenda")
    # Without a token the console says so instead of sending.
    console.find_element(By.CSS_SELECTOR, "#notice-form input[name=text]").send_keys("ทดสอบ")
    console.find_element(By.CSS_SELECTOR, "#notice-form button").click()
    wait(lambda: console.find_element(By.ID, "message").text, 5, "the missing-token message")
    token = console.find_element(By.ID, "token")
    token.send_keys(TOKEN)
    console.execute_script("arguments[0].dispatchEvent(new Event('change'))", token)

    # An API error in words: a tally with no vote open is refused (422).
    console.find_element(By.CSS_SELECTOR, "#vote-tally-form button").click()
    message = wait(lambda: console.find_element(By.ID, "message").text, 5, "the API error")[0]
    assert "422" in message or "400" in message, message
    measured["consoleError"] = message

    console.find_element(By.CSS_SELECTOR, "#vote-open-form input[name=motion]").send_keys("ลงมติวาระที่สอง")
    console.find_element(By.CSS_SELECTOR, '#vote-open-form select option[value="i2"]').click()
    console.find_element(By.CSS_SELECTOR, "#vote-open-form button").click()
    wait(lambda: "ลงมติวาระที่สอง" in viewer.find_element(By.ID, "vote").text, 5, "the viewer shows the console's vote")
    for name, value in [("yes", "1"), ("no", "1")]:
        field = console.find_element(By.CSS_SELECTOR, f"#vote-tally-form input[name={name}]")
        field.clear()
        field.send_keys(value)
    console.find_element(By.CSS_SELECTOR, "#vote-tally-form button").click()
    wait(lambda: viewer.find_element(By.CSS_SELECTOR, '#vote [data-count="no"] strong').text == "1", 5, "the console's tally")
    console.find_element(By.CSS_SELECTOR, "#vote-close-form textarea").send_keys("นาง ก, yes\nนาย ข, no\nนาย ค, yes")
    console.find_element(By.CSS_SELECTOR, "#vote-close-form button").click()
    wait(lambda: shown(viewer, '#vote [data-result="passed"]') and "ลงมติวาระที่สอง" in viewer.find_element(By.ID, "vote").text
         and len(shown(viewer, "#vote ul.records li")) == 3, 5, "the viewer shows the console's result")
    console.find_element(By.CSS_SELECTOR, "#line-form textarea").send_keys("ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปีผ่านวาระแรก")
    console.find_element(By.CSS_SELECTOR, "#line-form button").click()
    wait(lambda: "ส่งแล้ว" in console.find_element(By.ID, "done").text, 5, "the line was sent")
    console.execute_script("window.scrollTo(0, 0)")
    console.save_screenshot(os.path.join(SHOTS, "console.png"))
    time.sleep(3)  # let the sitting run on a little past the last line
    console.find_element(By.ID, "end").click()
    wait(lambda: "ส่งแล้ว" in console.find_element(By.ID, "done").text, 5, "the sitting was ended")


def check_archive(page, sitting):
    detail, _ = wait(lambda: (lambda d: d if d["sitting"].get("archivedAt") and d["sitting"]["status"] == "ended" else None)(api(f"/api/v1/sittings/{sitting}")),
                     40, "the sitting is archived")
    chapter = next(item for item in detail["agenda"] if item["id"] == "i2")
    page.get(f"{BASE}/archive/{sitting}")
    wait(lambda: page.execute_script("return document.getElementById('video').readyState") >= 1, 60, "the recording loads")
    page.find_element(By.CSS_SELECTOR, '#agenda li[data-item="i2"] button').click()
    wait(lambda: abs(current_time(page) - chapter["offset"]) < 0.6, 10, f"seek to chapter 2 at {chapter['offset']}")
    wait(lambda: shown(page, '#agenda li[data-item="i2"][aria-current="true"]'), 5, "chapter 2 marked")
    measured["chapterOffset"] = chapter["offset"]
    assert len(page.find_elements(By.CSS_SELECTOR, "video track[kind=captions]")) == 1
    check_archive_clip(page, sitting)
    page.save_screenshot(os.path.join(SHOTS, "archive-sitting.png"))

    page.get(f"{BASE}/archive/{sitting}?t=3")
    wait(lambda: page.execute_script("return document.getElementById('video').readyState") >= 1 and abs(current_time(page) - 3) < 0.6, 30, "?t=3 opens at 3 s")

    page.get(f"{BASE}/archive")
    wait(lambda: shown(page, f'#sittings li[data-sitting="{sitting}"]'), 10, "the archive lists the sitting")
    page.find_element(By.ID, "q").send_keys("งบประมาณรายจ่าย")
    page.find_element(By.CSS_SELECTOR, "#search-form button").click()
    hit = wait(lambda: shown(page, "#results li[data-hit] a"), 10, "a search hit")[0][0]
    assert f"/archive/{sitting}?t=" in hit.get_attribute("href"), hit.get_attribute("href")
    page.save_screenshot(os.path.join(SHOTS, "archive-search.png"))
    hit.click()
    wait(lambda: page.execute_script("return document.getElementById('video').readyState") >= 1 and current_time(page) > 0, 30, "the hit opens the recording at its moment")


def check_archive_clip(page, sitting):
    """Mark in, a moment of playback, mark out: a link to the MP4 of that span of the recording."""
    page.execute_script("document.getElementById('video').play()")
    wait(lambda: not page.execute_script("return document.getElementById('video').paused"), 10, "the recording plays")
    page.find_element(By.ID, "mark-in").click()
    start = current_time(page)
    wait(lambda: current_time(page) > start + 2.2, 15, "two seconds of the recording play")
    page.find_element(By.ID, "mark-out").click()
    link = wait(lambda: (lambda a: a if a.is_displayed() and a.get_attribute("href") else None)(page.find_element(By.ID, "clip-link")), 5, "the clip link")[0]
    href = link.get_attribute("href")
    match = re.search(rf"/archive/{re.escape(sitting)}/clip\.mp4\?from=(\d+)&to=(\d+)$", href)
    assert match and int(match.group(2)) > int(match.group(1)), f"clip link {href}"
    with urllib.request.urlopen(href, timeout=120) as reply:
        body = reply.read()
        assert reply.status == 200 and body[4:8] == b"ftyp", f"clip: {reply.status} {body[:16]!r}"
        assert "attachment" in (reply.headers.get("Content-Disposition") or ""), dict(reply.headers)
    measured["archiveClip"] = {"from": int(match.group(1)), "to": int(match.group(2)), "bytes": len(body)}


def check_embed_and_fallback(page):
    page.get(f"{BASE}/embed/senate")
    wait(lambda: current_time(page) > 1, 40, "the embed plays")
    page.save_screenshot(os.path.join(SHOTS, "embed.png"))
    page.get(f"{BASE}/watch/senate?player=native")
    wait(lambda: current_time(page) > 1, 40, "Chromium's own HLS player plays when asked for")
    first = current_time(page)
    time.sleep(1.5)
    assert current_time(page) > first + 0.5, "the native player keeps playing"
    page.find_element(By.CSS_SELECTOR, '[data-lang="en"]').click()
    wait(lambda: page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en" and "Agenda" in page.find_element(By.ID, "agenda-heading").text, 5, "English")
    page.find_element(By.CSS_SELECTOR, '[data-lang="th"]').click()


def main():
    viewer, console = browser(), browser()
    try:
        sitting = check_viewer(viewer)
        check_console(console, viewer)
        check_archive(viewer, sitting)
        check_embed_and_fallback(console)
        print(json.dumps(measured, ensure_ascii=False))
    except Exception as error:
        for name, driver in [("viewer", viewer), ("console", console)]:
            try:
                driver.save_screenshot(os.path.join(SHOTS, f"failure-{name}.png"))
                logs = driver.execute_script("return document.body.innerText.slice(0, 1500)")
                print(f"--- {name} page text:\n{logs}", file=sys.stderr)
            except Exception:
                pass
        print(f"FAILED: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        viewer.quit()
        console.quit()


if __name__ == "__main__":
    main()
