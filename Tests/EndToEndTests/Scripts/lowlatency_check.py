#!/usr/bin/env python3
"""The bundled Low-Latency HLS player in headless Chromium, against real publishers.

usage: lowlatency_check.py BASE_URL OPERATOR_TOKEN

The server starts with no input. Checks, in order:
- the page opened before any media starts by itself once a UDP publisher appears (no reload);
- it follows parts: blocking reloads with _HLS_msn/_HLS_part, part fetches (not only whole segments), no media
  URI fetched twice (the browser's own resource timing, not the player's word);
- switching to sound only and back keeps currentTime and the on-screen clock going forward; on a weak link
  (Chromium's network emulation) the player goes to sound only by itself and back to the picture after;
- UDP, RTMP and SRT publishers killed and restarted: the new picture shows after the source returns, the
  on-screen program-date-time never goes back, currentTime never goes back.
Prints one JSON line of measurements; exits non-zero with the reason on the first failed check.
"""
import json
import socket
import subprocess
import sys
import time

from selenium.webdriver.common.by import By

from senate_client import Server, browser, wait

BASE, TOKEN = sys.argv[1], sys.argv[2]
server = Server(BASE, TOKEN)
measured = {}

ENCODE = ["-hide_banner", "-loglevel", "error", "-re",
          "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
          "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "25", "-keyint_min", "25",
          "-sc_threshold", "0", "-c:a", "aac", "-b:a", "64k", "-ac", "2"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def source(kind):
    """(input body for the API, publisher arguments) of one kind of live source."""
    port = free_port()
    if kind == "udp":
        return {"url": f"udp://127.0.0.1:{port}"}, ["-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]
    if kind == "rtmp":
        return {"url": f"rtmp://127.0.0.1:{port}/live/senate", "options": {"listen": "1"}}, ["-f", "flv", f"rtmp://127.0.0.1:{port}/live/senate"]
    return {"url": f"srt://127.0.0.1:{port}?mode=listener"}, ["-f", "mpegts", f"srt://127.0.0.1:{port}?mode=caller&pkt_size=1316"]


def publish_media(args):
    return subprocess.Popen(["ffmpeg"] + ENCODE + args, stdin=subprocess.DEVNULL)


def set_input(body):
    status, reply = server.http("PUT", "/api/v1/channels/senate/input", body)
    assert status == 202, f"PUT input: {status} {reply}"


def sample(driver):
    return driver.execute_script("""
      const p = window.senateLive.player, v = document.getElementById('video'), d = p.programDateTime();
      return {t: v.currentTime, pdt: d ? d.getTime() / 1000 : null, now: Date.now() / 1000, stats: p.low ? p.low.stats : null,
              audioOnly: p.low ? p.low.variant.audioOnly : null, width: v.videoWidth};""")


SAMPLER = """
  window.samples = [];
  setInterval(() => {
    const p = window.senateLive.player, v = document.getElementById('video'), d = p.programDateTime();
    // A switch between picture and sound only attaches a new MediaSource, which resets the element for a
    // moment before the player puts it back: those few samples say nothing about the playhead.
    const e = p.low && p.low.timeline.findLast((t) => t.start <= v.currentTime);
    if (!(p.low && p.low.rebuilding)) window.samples.push([Date.now() / 1000, v.currentTime, d ? d.getTime() / 1000 : null,
      e ? [e.start, e.wall, p.low.timeline.length, p.low.stats.switches, p.low.variant.audioOnly] : null]);
  }, 100);"""


def check_monotonic(driver, what):
    samples = driver.execute_script("return window.samples")
    back_time = [(a, b) for a, b in zip(samples, samples[1:]) if b[1] < a[1] - 0.01]
    pdts = [s for s in samples if s[2] is not None]
    back_pdt = [(a, b) for a, b in zip(pdts, pdts[1:]) if b[2] < a[2] - 0.1]
    assert not back_time, f"{what}: currentTime went back {back_time[:3]}"
    if back_pdt:
        timeline = driver.execute_script("const l = window.senateLive.player.low; return l ? l.timeline.slice(-12) : null")
        raise AssertionError(f"{what}: the picture went back in time {back_pdt[:3]}; appended: {timeline}")
    return len(samples)


def media_requests(driver):
    return driver.execute_script("""
      return performance.getEntriesByType('resource').filter(e => e.name.includes('/live/'))
        .map(e => ({name: e.name, status: e.responseStatus ?? 0}));""")


def main():
    driver = browser()
    publisher = None
    try:
        driver.get(f"{BASE}/watch/senate?events=instant")
        driver.execute_script("performance.setResourceTimingBufferSize(100000)")
        driver.execute_script(SAMPLER)
        time.sleep(2)  # the page is up and retrying; there is no media at all yet
        body, args = source("udp")
        set_input(body)
        publisher = publish_media(args)
        started = time.time()
        wait(lambda: (sample(driver)["pdt"] or 0) > started, 40, "the page starts by itself once media exists")
        measured["youngStartSeconds"] = round(time.time() - started, 2)

        # Parts, blocking reloads, no re-fetch.
        time.sleep(8)
        requests = media_requests(driver)
        blocking = [r for r in requests if "_HLS_part=" in r["name"]]
        parts = [r for r in requests if r["name"].endswith(".m4s") and r["name"].rsplit("/", 1)[1].count(".") == 2]
        media = [r["name"] for r in requests if r["name"].endswith(".m4s") and r["status"] == 200]
        repeated = sorted({name for name in media if media.count(name) > 1})
        measured.update(blockingReloads=len(blocking), partFetches=len(parts), mediaFetches=len(media), refetched=len(repeated))
        assert len(blocking) >= 10, f"blocking reloads: {len(blocking)}"
        assert len(parts) >= 10, f"part fetches: {len(parts)}"
        assert not repeated, f"media fetched twice: {repeated[:5]}"
        state = sample(driver)
        assert state["stats"]["refetches"] == 0, state["stats"]
        measured["behindLiveSeconds"] = round(state["now"] - state["pdt"], 2)

        # Sound only and back: no reload, time goes on.
        before = sample(driver)
        driver.find_element(By.ID, "audio-toggle").click()
        wait(lambda: sample(driver)["audioOnly"] and sample(driver)["t"] > before["t"] + 1 and (sample(driver)["pdt"] or 0) > before["pdt"] + 1,
             20, "sound only plays on, forward")
        middle = sample(driver)
        driver.find_element(By.ID, "audio-toggle").click()
        wait(lambda: not sample(driver)["audioOnly"] and sample(driver)["t"] > middle["t"] + 1 and sample(driver)["width"] > 0
             and (sample(driver)["pdt"] or 0) > middle["pdt"] + 1, 20, "the picture is back, forward")
        check_monotonic(driver, "rendition switch")

        # A weak link (Chromium's network emulation): sound only by itself, the picture back once it recovers.
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 40, "downloadThroughput": 25_000, "uploadThroughput": 100_000})
        _, seconds = wait(lambda: sample(driver)["audioOnly"], 60, "sound only on a 200 kbit/s link")
        measured["weakLinkToAudioSeconds"] = round(seconds, 1)
        weak = sample(driver)
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        _, seconds = wait(lambda: not sample(driver)["audioOnly"] and sample(driver)["width"] > 0, 90, "the picture after the link recovers")
        measured["recoveredToVideoSeconds"] = round(seconds, 1)
        wait(lambda: sample(driver)["t"] > weak["t"] + 1, 20, "playback goes on after the automatic switches")
        check_monotonic(driver, "automatic switches")

        # Sources that flap.
        flaps = {}
        for kind in ["udp", "rtmp", "srt"]:
            if kind != "udp":
                publisher.kill()
                publisher.wait()
                body, args = source(kind)
                set_input(body)
                time.sleep(1)
                publisher = publish_media(args)
                wait(lambda: (sample(driver)["pdt"] or 0) > time.time() - 5, 40, f"{kind} plays")
            time.sleep(3)
            publisher.kill()
            publisher.wait()
            time.sleep(4)
            back = time.time()
            publisher = publish_media(args)
            _, seconds = wait(lambda: (sample(driver)["pdt"] or 0) > back, 40, f"the picture after the {kind} source returns")
            flaps[kind] = round(seconds, 2)
            time.sleep(2)
            check_monotonic(driver, f"{kind} flap")
        measured["flapRecoverySeconds"] = flaps
        measured["samples"] = check_monotonic(driver, "the whole run")
        measured["stats"] = sample(driver)["stats"]
        publisher.kill()
        print(json.dumps(measured))
    except Exception as error:
        try:
            print(driver.execute_script("return JSON.stringify(window.senateLive.player.low && window.senateLive.player.low.stats)"), file=sys.stderr)
        except Exception:
            pass
        print(f"FAILED: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        if publisher:
            publisher.kill()  # never leave an encoder running after a failed check
        driver.quit()


if __name__ == "__main__":
    main()
