#!/usr/bin/env python3
"""Rewind while live, the quality ladder and the interpretation, in headless Chromium on the viewer page.

usage: dvr_check.py BASE_URL [--channel senate] [--wait 75] [--back 60] [--rendition 360p]
                    [--require-ladder] [--require-languages] [--skip-clip] [--shots DIR]

Against a server that is already live. Checks, in order, driving the page's own controls:
- once the DVR playlist holds `--wait` seconds of media, the seek bar (#dvr-seek) moved `--back` seconds
  before the live edge plays from the DVR playlist: the picture on screen (programDateTime, the behind-live
  badge) is that far behind live, currentTime advances, video frames and audio bytes are decoded, whole
  segments come from the DVR playlist;
- mark in / mark out give a clip link (/live/{c}/clip.mp4?from=ISO&to=ISO) that answers an MP4;
- "back to live" (#go-live) returns to the Low-Latency player: less than 3 s behind live;
- `?rendition=360p` plays that rendition (the browser's resource timing lists its parts, no source media);
- with two audio renditions in the multivariant playlist, choosing the English one (#audio-track) makes the
  hidden <audio id="alt-audio"> decode while the picture plays on, in step (live, then rewound).
Prints one JSON line of measurements; exits non-zero with the reason on the first failed check.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from senate_client import browser, wait

parser = argparse.ArgumentParser()
parser.add_argument("base")
parser.add_argument("--channel", default="senate")
parser.add_argument("--wait", type=float, default=75, help="seconds of DVR media to wait for before seeking back")
parser.add_argument("--back", type=float, default=60, help="seconds to seek back from the live edge")
parser.add_argument("--rendition", default="360p")
parser.add_argument("--require-ladder", action="store_true", help="fail when the multivariant playlist has no --rendition")
parser.add_argument("--require-languages", action="store_true", help="fail when it has fewer than two audio renditions")
parser.add_argument("--skip-clip", action="store_true")
parser.add_argument("--shots", default=None, help="folder for screenshots")
args = parser.parse_args()
BASE, CHANNEL = args.base.rstrip("/"), args.channel
measured = {"skipped": []}


def get(path, timeout=60):
    with urllib.request.urlopen(BASE + path, timeout=timeout) as reply:
        return reply.status, dict(reply.headers), reply.read()


def multivariant():
    """(video rendition names, audio renditions [{name, language, uri}]) of the live multivariant playlist."""
    text = get(f"/live/{CHANNEL}/index.m3u8")[2].decode()
    lines = text.splitlines()
    renditions = [lines[i + 1].split("/")[0] for i, line in enumerate(lines[:-1])
                  if line.startswith("#EXT-X-STREAM-INF") and re.search(r'CODECS="[^"]*(avc1|hvc1|hev1)', line)]
    audio = []
    for line in lines:
        if line.startswith("#EXT-X-MEDIA:") and "TYPE=AUDIO" in line:
            field = lambda key: (re.search(key + r'="([^"]*)"', line) or [None, None])[1]
            audio.append({"name": field("NAME"), "language": field("LANGUAGE"), "uri": field("URI")})
    return renditions, audio


def dvr_seconds():
    """Seconds of media the DVR playlist of `source` lists."""
    status, _, body = get(f"/live/{CHANNEL}/source/dvr.m3u8")
    assert status == 200, f"dvr.m3u8: {status}"
    text = body.decode()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text, "the DVR playlist is an EVENT playlist"
    return sum(float(m) for m in re.findall(r"#EXTINF:([\d.]+)", text))


STATE = """
  const s = window.senateLive, p = s.player, v = document.getElementById('video'), a = document.getElementById('alt-audio');
  const d = p.programDateTime();
  return {t: v.currentTime, pdt: d ? d.getTime() / 1000 : null, now: Date.now() / 1000, rewound: p.rewound,
          frames: v.webkitDecodedFrameCount, audioBytes: v.webkitAudioDecodedByteCount, paused: v.paused, muted: v.muted,
          height: v.videoHeight, rendition: p.currentRendition(),
          alt: a ? {t: a.currentTime, audioBytes: a.webkitAudioDecodedByteCount, paused: a.paused, muted: a.muted} : null,
          drift: p.stats.drift, behindText: document.getElementById('behind').textContent,
          goLiveShown: !document.getElementById('go-live').hidden, dvrShown: !document.getElementById('dvr').hidden,
          dvr: p.dvr ? p.dvr.stats : null, low: p.low ? p.low.stats : null};"""


def state(driver):
    return driver.execute_script(STATE)


def behind(sample):
    return None if sample["pdt"] is None else sample["now"] - sample["pdt"]


def media_requests(driver):
    return driver.execute_script("""
      return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/live/'));""")


def plays_on(driver, seconds, what, audio_element=False):
    """currentTime, decoded frames and decoded audio (the page's <video>, or the <audio> too) grow."""
    before = state(driver)
    time.sleep(seconds)
    after = state(driver)
    assert after["t"] > before["t"] + seconds * 0.5, f"{what}: currentTime {before['t']} → {after['t']}"
    assert after["frames"] > before["frames"] + seconds * 5, f"{what}: decoded frames {before['frames']} → {after['frames']}"
    if audio_element:
        assert after["alt"]["audioBytes"] > before["alt"]["audioBytes"], f"{what}: the <audio> decodes nothing {after['alt']}"
    else:
        assert after["audioBytes"] > before["audioBytes"], f"{what}: decoded audio {before['audioBytes']} → {after['audioBytes']}"
    return before, after


def in_step(driver, what, samples=12):
    """The median drift (s) between the interpretation and the picture over a few seconds: the page corrects
    more than 0.15 s by speed, so a loaded machine may see a moment's drift but not a lasting one."""
    drifts = []
    for _ in range(samples):
        drift = state(driver)["drift"]
        if drift is not None:
            drifts.append(abs(drift))
        time.sleep(0.25)
    assert drifts, f"{what}: no drift measured"
    median = sorted(drifts)[len(drifts) // 2]
    assert median < 0.3, f"{what}: out of step with the picture by {median:.3f} s (median of {drifts})"
    return round(median, 3)


def seek_back(driver, seconds):
    """Moves the page's seek bar `seconds` before its live end, as a person dragging it would."""
    driver.execute_script("""
      const bar = document.getElementById('dvr-seek');
      bar.value = String(Math.max(0, Number(bar.max) - arguments[0]));
      bar.dispatchEvent(new Event('input', {bubbles: true}));
      bar.dispatchEvent(new Event('change', {bubbles: true}));""", seconds)


def check_rewind(driver):
    driver.get(f"{BASE}/watch/{CHANNEL}?events=instant")
    driver.execute_script("performance.setResourceTimingBufferSize(100000)")
    wait(lambda: state(driver)["t"] > 1, 60, "the viewer plays live")
    _, waited = wait(lambda: dvr_seconds() >= args.wait, args.wait + 180, f"{args.wait} s of DVR media")
    measured["dvrSecondsAtSeek"] = round(dvr_seconds(), 1)
    wait(lambda: state(driver)["dvrShown"] and float(driver.find_element(By.ID, "dvr-seek").get_attribute("max")) >= args.back + 5,
         30, "the seek bar spans the DVR playlist")
    live = state(driver)
    measured["liveBehindSeconds"] = round(behind(live), 2)
    asked = time.time() - args.back
    seek_back(driver, args.back)
    _, seconds = wait(lambda: (lambda s: s["rewound"] and s["pdt"] is not None and not s["paused"] and s["t"] > 0)(state(driver)), 30, "the DVR position plays")
    measured["seekStartSeconds"] = round(seconds, 2)
    time.sleep(2)
    sample = state(driver)
    lag = behind(sample)
    measured["rewoundBehindSeconds"] = round(lag, 2)
    measured["rewoundStartError"] = round(sample["pdt"] - (asked + 2 + seconds), 2)
    assert abs(lag - args.back) < 6, f"the picture is {lag:.1f} s behind live, asked for {args.back}"
    numbers = re.findall(r"\d+(?:\.\d+)?", sample["behindText"])
    assert numbers and abs(float(numbers[0]) - lag) < 2, f"the behind-live badge says {sample['behindText']!r}"
    measured["behindBadge"] = sample["behindText"]
    assert sample["goLiveShown"], "'back to live' is offered while rewound"
    before, after = plays_on(driver, 6, "rewound playback")
    measured["rewoundFramesPerSecond"] = round((after["frames"] - before["frames"]) / 6, 1)
    assert after["pdt"] > before["pdt"] + 3, f"the on-screen clock goes on while rewound {before['pdt']} → {after['pdt']}"
    assert abs(behind(after) - args.back) < 8, f"rewound playback drifts from its place: {behind(after):.1f} s behind"
    requests = media_requests(driver)
    dvr_lists = [r for r in requests if r.endswith("/dvr.m3u8")]
    whole = [r for r in requests if re.search(r"/\d+\.m4s$", r)]
    measured.update(dvrPlaylistLoads=len(dvr_lists), wholeSegmentFetches=len(whole), dvrStats=after["dvr"])
    assert dvr_lists and whole, f"the DVR playlist and whole segments were fetched: {requests[-10:]}"
    if args.shots:
        driver.save_screenshot(os.path.join(args.shots, "dvr-rewound.png"))

    if not args.skip_clip:
        check_clip(driver)

    driver.find_element(By.ID, "go-live").click()
    _, seconds = wait(lambda: (lambda s: not s["rewound"] and behind(s) is not None and behind(s) < 3)(state(driver)), 30, "back to live: < 3 s behind")
    measured["backToLiveSeconds"] = round(seconds, 2)
    time.sleep(3)
    sample = state(driver)
    measured["backToLiveBehindSeconds"] = round(behind(sample), 2)
    assert behind(sample) < 3, f"{behind(sample):.1f} s behind after back to live"
    assert not sample["goLiveShown"], "'back to live' is hidden at the live edge"
    plays_on(driver, 3, "live again")


def check_clip(driver):
    driver.find_element(By.ID, "mark-in").click()
    time.sleep(5)
    driver.find_element(By.ID, "mark-out").click()
    link = wait(lambda: (lambda a: a if a.is_displayed() and a.get_attribute("href") else None)(driver.find_element(By.ID, "clip-link")), 5, "the clip link")[0]
    href = link.get_attribute("href")
    match = re.search(r"/live/" + CHANNEL + r"/clip\.mp4\?from=([^&]+)&to=(.+)$", href)
    assert match, f"clip link {href}"
    start, end = (datetime.fromisoformat(urllib.parse.unquote(value).replace("Z", "+00:00")).timestamp() for value in match.groups())
    measured["clipMarkedSeconds"] = round(end - start, 2)
    assert 3 <= end - start <= 7, f"the marks span {end - start} s"
    status, headers, body = get(href.replace(BASE, ""), timeout=120)
    measured["clipBytes"] = len(body)
    assert status == 200 and body[4:8] == b"ftyp", f"clip: {status} {body[:16]!r}"
    assert "attachment" in headers.get("Content-Disposition", ""), headers


def check_rendition(driver, renditions):
    if args.rendition not in renditions:
        assert not args.require_ladder, f"no {args.rendition} in the multivariant playlist: {renditions}"
        measured["skipped"].append(f"rendition {args.rendition}: not offered ({renditions})")
        return
    driver.get(f"{BASE}/watch/{CHANNEL}?events=instant&rendition={args.rendition}")
    driver.execute_script("performance.setResourceTimingBufferSize(100000)")
    wait(lambda: state(driver)["t"] > 1, 60, f"?rendition={args.rendition} plays")
    plays_on(driver, 5, f"?rendition={args.rendition}")
    requests = media_requests(driver)
    own = [r for r in requests if f"/{args.rendition}/" in r and r.endswith(".m4s")]
    parts = [r for r in own if re.search(r"/\d+\.\d+\.m4s$", r)]
    other = [r for r in requests if r.endswith(".m4s") and f"/{args.rendition}/" not in r and "/subtitles/" not in r]
    sample = state(driver)
    measured["rendition"] = {"name": args.rendition, "fetches": len(own), "parts": len(parts), "other": len(other), "videoHeight": sample["height"],
                             "select": driver.find_element(By.ID, "quality").get_attribute("value")}
    assert parts, f"no part of {args.rendition} was fetched: {requests[-10:]}"
    assert not other, f"media of another rendition was fetched: {other[:5]}"
    height = re.match(r"(\d+)p$", args.rendition)
    if height:
        assert sample["height"] == int(height.group(1)), f"videoHeight {sample['height']} for {args.rendition}"
    assert sample["rendition"] == args.rendition, sample["rendition"]


def check_languages(driver, audio):
    alternates = [track for track in audio if track["uri"]]
    if len(audio) < 2 or not alternates:
        assert not args.require_languages, f"fewer than two audio renditions: {audio}"
        measured["skipped"].append(f"languages: {len(audio)} audio rendition(s)")
        return
    english = next((track for track in alternates if track["language"] == "en"), alternates[0])
    driver.get(f"{BASE}/watch/{CHANNEL}?events=instant")
    wait(lambda: state(driver)["t"] > 1, 60, "the viewer plays")
    box = wait(lambda: (lambda e: e if e.is_displayed() else None)(driver.find_element(By.ID, "audio-track")), 20, "the language choice")[0]
    names = [option.text for option in Select(box).options]
    assert english["name"] in names, f"{english['name']} in {names}"
    Select(box).select_by_visible_text(english["name"])
    wait(lambda: (lambda s: s["alt"]["audioBytes"] > 0 and s["alt"]["t"] > 0.5)(state(driver)), 30, "the interpretation plays in <audio>")
    before, after = plays_on(driver, 6, "live with the interpretation", audio_element=True)
    assert after["muted"] and not after["alt"]["muted"], f"the picture's own sound is muted, the interpretation not: {after}"
    drift = in_step(driver, "the interpretation, live")
    measured["languageLive"] = {"name": english["name"], "altAudioBytes": after["alt"]["audioBytes"], "driftSeconds": drift}
    stored = driver.execute_script("return localStorage.getItem('senate-live-audio')")
    assert stored == (english["language"] or english["name"]), f"the choice is remembered: {stored!r}"

    # Rewound with the interpretation: a second DVR player on the <audio>, in step.
    seek_back(driver, 30)
    wait(lambda: (lambda s: s["rewound"] and s["alt"]["audioBytes"] > after["alt"]["audioBytes"] and not s["alt"]["paused"])(state(driver)), 30,
         "the interpretation plays rewound")
    time.sleep(4)
    rewound = plays_on(driver, 4, "rewound with the interpretation", audio_element=True)[1]
    measured["languageRewound"] = {"behindSeconds": round(behind(rewound), 1), "driftSeconds": in_step(driver, "the interpretation, rewound")}
    driver.find_element(By.ID, "go-live").click()
    wait(lambda: (lambda s: not s["rewound"] and behind(s) is not None and behind(s) < 3)(state(driver)), 30, "back to live with the interpretation")

    # Sound only with the interpretation: the picture element plays that language's own rendition.
    driver.find_element(By.ID, "audio-toggle").click()
    wait(lambda: (lambda s: s["low"] is not None and driver.execute_script(
        "return window.senateLive.player.low.variant.uri") == driver.execute_script("return window.senateLive.player.track.uri"))(state(driver)),
         30, "sound only plays the interpretation's rendition")
    first = state(driver)
    time.sleep(3)
    sample = state(driver)
    assert sample["t"] > first["t"] + 1.5 and sample["audioBytes"] > first["audioBytes"], f"sound only plays: {first} → {sample}"
    assert not sample["muted"] and sample["alt"]["paused"], f"sound only: the <video> plays the interpretation itself: {sample}"
    driver.find_element(By.ID, "audio-toggle").click()

    # ?audio=en preselects.
    driver.execute_script("localStorage.removeItem('senate-live-audio')")
    driver.get(f"{BASE}/watch/{CHANNEL}?events=instant&audio={english['language'] or ''}")
    wait(lambda: (lambda s: s["alt"]["audioBytes"] > 0)(state(driver)), 40, f"?audio={english['language']} preselects the interpretation")


def main():
    if args.shots:
        os.makedirs(args.shots, exist_ok=True)
    driver = browser()
    try:
        renditions, audio = multivariant()
        measured.update(renditions=renditions, audioTracks=[track["name"] for track in audio])
        check_rewind(driver)
        check_rendition(driver, renditions)
        check_languages(driver, audio)
        print(json.dumps(measured, ensure_ascii=False))
    except Exception as error:
        try:
            print(json.dumps(state(driver), ensure_ascii=False), file=sys.stderr)
            if args.shots:
                driver.save_screenshot(os.path.join(args.shots, "dvr-failure.png"))
        except Exception:
            pass
        print(json.dumps(measured, ensure_ascii=False), file=sys.stderr)
        print(f"FAILED: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
