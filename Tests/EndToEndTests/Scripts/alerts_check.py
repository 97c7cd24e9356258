#!/usr/bin/env python3
"""Web Push alerts from the viewer page, in headless Chromium driven by Selenium, delivered to the local push
service (push_service.py) and checked there.

usage: alerts_check.py BASE_URL OPERATOR_TOKEN SUBSCRIPTIONS_FILE PUSH_LOG

SUBSCRIPTIONS_FILE: JSON lines {"id", "endpoint", "keys": {"p256dh", "auth"}, "private"} from
`push_service.py make` (its first line is the browser's subscription here); PUSH_LOG: the JSON lines
`push_service.py serve` writes, one per push it received ({"id", "status", "verified", "payload", ...}).

Checks: the page registers /sw.js (scope /) and says it is ready; with Chromium's own push service (none in
headless Chromium) following a bill gets as far as pushManager.subscribe and shows the error; with
PushManager replaced by a fake whose subscription is the first line of SUBSCRIPTIONS_FILE, the follow set
survives a reload, keywords are checked (length, duplicates), and the page stores the whole set on the
server; the server's pushes of the bill's item being taken up and of a Thai keyword said mid-sentence reach
the push service, verified; the worker shows the decrypted payload (delivered to it through DevTools) with a
link to the viewer at that moment; an item not followed sends nothing; clearing the set deletes the subscription
and nothing more is sent. Prints one JSON line; exits non-zero with the reason on the first failed check.
"""
import base64
import json
import sys
import time
import urllib.request

from selenium.webdriver.common.by import By

from senate_client import Server, browser, wait

BASE, TOKEN, SUBSCRIPTIONS, PUSH_LOG = sys.argv[1:5]
with open(SUBSCRIPTIONS, encoding="utf-8") as lines:
    FIRST = json.loads(lines.readline())
BILL_ITEM = {"id": "p1", "number": "1", "title": "ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปี", "billId": "bill-77", "tags": ["budget"]}
OTHER_ITEM = {"id": "p2", "number": "2", "title": "เรื่องที่ประธานแจ้งต่อที่ประชุม"}
KEYWORD = "งบประมาณ"
measured = {}

# Replaces the browser's push service with a fake subscription (the first line of SUBSCRIPTIONS_FILE): what
# the page sends to the server is then what a real browser would, and the server pushes to our service.
FAKE_PUSH = """
(() => {
  const line = %s;
  const record = window.__fakePush = { subscribeCalls: 0, keyLength: null, keyFirstByte: null, unsubscribed: 0, requests: [] };
  let current = null;
  const subscription = {
    endpoint: line.endpoint, expirationTime: null, options: null,
    getKey(name) { return null; },
    toJSON() { return { endpoint: line.endpoint, expirationTime: null, keys: line.keys }; },
    unsubscribe() { record.unsubscribed += 1; current = null; return Promise.resolve(true); },
  };
  PushManager.prototype.subscribe = function (options) {
    record.subscribeCalls += 1;
    const key = new Uint8Array(options && options.applicationServerKey ? options.applicationServerKey : []);
    record.keyLength = key.length;
    record.keyFirstByte = key[0];
    record.userVisibleOnly = Boolean(options && options.userVisibleOnly);
    current = subscription;
    return Promise.resolve(subscription);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  // The page's calls to the push API, with their answers, for the checks.
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input.url;
    if (!String(url).includes("/api/v1/push/")) return realFetch.apply(this, arguments);
    const entry = { method: (init && init.method) || "GET", url: String(url), body: init && init.body ? JSON.parse(init.body) : null, status: null };
    record.requests.push(entry);
    return realFetch.apply(this, arguments).then((response) => { entry.status = response.status; return response; });
  };
})();
"""


def publish(events):
    return Server(BASE, TOKEN).publish(events)


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"


def pushes():
    """The push service's log so far, as a list of records."""
    try:
        with open(PUSH_LOG, encoding="utf-8") as log:
            return [json.loads(line) for line in log if line.strip()]
    except FileNotFoundError:
        return []


def delivered(record, kind):
    return (record.get("id") == FIRST["id"] and record.get("status") == 201 and record.get("verified") is True
            and (record.get("payload") or {}).get("type") == kind)


def status(driver):
    return driver.execute_script(
        "const s = document.getElementById('alerts-status');"
        "return {state: s.dataset.state || null, text: s.textContent, step: document.documentElement.dataset.pushStep || null};")


def stored_follow(driver):
    return driver.execute_script("return JSON.parse(localStorage.getItem('senate-live-follow') || 'null')")


def fake(driver):
    return driver.execute_script("return window.__fakePush")


def follow_button(driver, item):
    return driver.find_element(By.CSS_SELECTOR, f'#agenda li[data-item="{item}"] button.follow[data-follow-item="{item}"]')


def type_keyword(driver, text):
    box = driver.find_element(By.ID, "alert-keyword")
    box.clear()
    if text:
        box.send_keys(text)
    driver.find_element(By.ID, "alert-keyword-add").click()


def keyword_error(driver):
    return driver.execute_script("const e = document.getElementById('alert-keyword-error'); return e.hidden ? '' : e.textContent")


NOTIFICATIONS = """
const [tag, done] = arguments;
navigator.serviceWorker.ready.then((r) => r.getNotifications({tag})).then(
  (found) => done(found.map((n) => ({title: n.title, body: n.body, tag: n.tag, lang: n.lang, data: n.data}))), (e) => done(String(e)));
"""


def show_in_worker(driver, payload):
    """Delivers `payload` to the page's service worker as a push message; returns the notification it shows.
    Also a payload that is not JSON: shown as text under the site's name."""
    driver.execute_cdp_cmd("ServiceWorker.enable", {})

    def deliver(data):
        for registration in ["0", "1", "2", "3"]:
            driver.execute_cdp_cmd("ServiceWorker.deliverPushMessage", {"origin": BASE, "registrationId": registration, "data": data})

    deliver(json.dumps(payload, ensure_ascii=False))
    shown, _ = wait(lambda: driver.execute_async_script(NOTIFICATIONS, payload["tag"]), 10, "the worker shows the alert")
    note = shown[0]
    assert note["title"] == payload["title"] and note["body"] == payload["body"] and note["lang"] == payload["lang"], (note, payload)
    assert note["data"]["url"] == BASE + payload["url"], f"opens the viewer at the moment: {note}"
    deliver("ข้อความธรรมดา")
    plain, _ = wait(lambda: [n for n in driver.execute_async_script(NOTIFICATIONS, "") if n["body"] == "ข้อความธรรมดา"], 10, "a plain-text push shown")
    assert plain[0]["title"] == "SenateLive" and plain[0]["data"]["url"] == BASE + "/", plain
    return note


def check(driver):
    # a. A sitting whose agenda has a bill (with a tag) and an item without one.
    publish([
        {"type": "sitting.started", "data": {"title": "การประชุมวุฒิสภา ครั้งที่ 77", "chamber": "senate", "number": 77, "scheduledAt": iso(time.time())}},
        {"type": "agenda.set", "data": {"items": [BILL_ITEM, OTHER_ITEM]}},
    ])

    # b. The service worker is registered for the whole site and the panel says alerts can be turned on.
    driver.get(f"{BASE}/watch/senate")
    wait(lambda: status(driver)["state"] == "ready", 20, f"#alerts-status[data-state=ready] (now {status(driver)})")
    script = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.getRegistration().then(
          (r) => done(r ? {script: r.active && r.active.scriptURL, scope: r.scope} : null), (e) => done({error: String(e)}));""")
    assert script and (script.get("script") or "").endswith("/sw.js"), f"registration: {script}"
    assert script["scope"] == BASE + "/", f"the worker's scope is the site: {script}"
    measured["serviceWorker"] = True
    assert status(driver)["step"] == "registered", status(driver)
    assert driver.execute_script("return Notification.permission") == "granted", "notifications granted to the test browser"

    # c. Chromium's own push service: headless Chromium has none, so subscribe rejects; the page says so.
    wait(lambda: follow_button(driver, "p1"), 10, "a follow button on the bill's item")
    button = follow_button(driver, "p1")
    assert button.get_attribute("aria-pressed") == "false" and "ติดตาม" in button.text, button.text
    button.click()
    wait(lambda: status(driver)["step"] == "subscribe-called" and status(driver)["state"] == "error", 30,
         f"pushManager.subscribe called and its failure shown (now {status(driver)})")
    measured["subscribeCalled"] = True
    measured["headlessError"] = status(driver)["text"]
    assert follow_button(driver, "p1").get_attribute("aria-pressed") == "true"
    assert "ติดตามอยู่" in follow_button(driver, "p1").text
    assert stored_follow(driver) == {"billIds": ["bill-77"], "itemIds": [], "tags": [], "keywords": []}, stored_follow(driver)

    # d. The fake push service from here on; the follow set survives the reload and is stored on the server.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_PUSH % json.dumps({"endpoint": FIRST["endpoint"], "keys": FIRST["keys"]})})
    driver.get(f"{BASE}/watch/senate")
    wait(lambda: follow_button(driver, "p1").get_attribute("aria-pressed") == "true", 10, "the bill still followed after the reload")
    assert follow_button(driver, "p2").get_attribute("aria-pressed") == "false"
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, '#alert-follows li[data-follow-list="billIds"][data-follow-id="bill-77"]'), 5, "the bill listed as followed")
    wait(lambda: status(driver)["state"] == "subscribed", 20, f"the stored follow set sent on load (now {status(driver)})")
    record = fake(driver)
    assert record["subscribeCalls"] == 1 and record["keyLength"] == 65 and record["keyFirstByte"] == 4 and record["userVisibleOnly"], \
        f"subscribe with the server's uncompressed P-256 key: {record}"
    key = json.load(urllib.request.urlopen(f"{BASE}/api/v1/push/key", timeout=10))["publicKey"]
    assert len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) == 65, key

    # Keyword box: empty and over-long words refused with a message, nothing sent for them.
    posts_before = len([r for r in fake(driver)["requests"] if r["method"] == "POST"])
    type_keyword(driver, "   ")
    wait(lambda: keyword_error(driver), 3, "an empty keyword refused")
    type_keyword(driver, "ก" * 65)
    wait(lambda: "64" in keyword_error(driver), 3, "a keyword over 64 characters refused")
    type_keyword(driver, KEYWORD)
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, f'#alert-keywords li[data-keyword="{KEYWORD}"]'), 5, "the keyword chip")
    assert keyword_error(driver) == "", keyword_error(driver)

    def stored_with_keyword():
        posts = [r for r in fake(driver)["requests"] if r["method"] == "POST"]
        last = posts[-1] if posts else None
        return (status(driver)["state"] == "subscribed" and status(driver)["step"] == "stored" and last and last["status"] in (200, 201)
                and KEYWORD in last["body"]["follow"]["keywords"] and last)
    last, _ = wait(stored_with_keyword, 20, f"the set with the keyword stored on the server (now {status(driver)}, {fake(driver)['requests'][-3:]})")
    body = last["body"]
    assert body["follow"]["channels"] == ["senate"] and body["follow"]["billIds"] == ["bill-77"], body
    assert body["subscription"]["endpoint"] == FIRST["endpoint"] and body["subscription"]["keys"] == FIRST["keys"], body
    assert body["lang"] == "th", body
    type_keyword(driver, f" {KEYWORD} ")  # the same word again: ignored, nothing sent
    time.sleep(0.5)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#alert-keywords li")) == 1
    measured["postsForKeyword"] = len([r for r in fake(driver)["requests"] if r["method"] == "POST"]) - posts_before
    assert measured["postsForKeyword"] == 1, f"one POST for one new keyword: {fake(driver)['requests']}"
    assert stored_follow(driver)["keywords"] == [KEYWORD]

    # e. An item not followed sends nothing; the bill's item taken up reaches the push service.
    publish([{"type": "agenda.item", "data": {"itemId": "p2"}}])
    publish([{"type": "agenda.item", "data": {"itemId": "p1"}}])
    found, seconds = wait(lambda: [r for r in pushes() if delivered(r, "agenda.item")], 20, f"the push for the bill's item (log: {pushes()[-3:]})")
    payload = found[0]["payload"]
    measured["agendaPushSeconds"] = round(seconds, 2)
    assert BILL_ITEM["title"] in payload["title"], payload
    assert payload["url"].startswith("/watch/senate"), payload
    assert payload["channel"] == "senate" and payload["lang"] == "th" and payload["tag"], payload
    time.sleep(1)
    others = [r for r in pushes() if (r.get("payload") or {}).get("type") == "agenda.item" and OTHER_ITEM["title"] in r["payload"].get("title", "")]
    assert not others, f"an item nobody follows was pushed: {others}"

    # The service worker shows that very payload: handed to it as a push message through DevTools (the worker's
    # registration id is 0 in the fresh profile; a few more are tried in case), then read back.
    measured["notification"] = show_in_worker(driver, payload)

    # f. The keyword said inside a Thai sentence (no spaces around it), while an item not followed is under
    # consideration (a line said during the bill's item would be about the bill too).
    publish([{"type": "agenda.item", "data": {"itemId": "p2"}}])
    now = time.time()
    publish([{"type": "transcript.line", "data": {"lineId": "push-l1", "text": f"ที่ประชุมพิจารณา{KEYWORD}ประจำปี", "speaker": "นายทดสอบ ระบบ",
                                                  "lang": "th", "start": iso(now - 2), "end": iso(now), "final": True}}])
    found, seconds = wait(lambda: [r for r in pushes() if delivered(r, "transcript.line")], 20, f"the push for the keyword (log: {pushes()[-3:]})")
    measured["keywordPushSeconds"] = round(seconds, 2)
    assert KEYWORD in found[0]["payload"]["body"], found[0]["payload"]

    # g. Clearing the set through the page deletes the subscription on the server.
    follow_button(driver, "p1").click()
    wait(lambda: follow_button(driver, "p1").get_attribute("aria-pressed") == "false", 5, "the bill unfollowed")
    driver.find_element(By.CSS_SELECTOR, f'#alert-keywords li[data-keyword="{KEYWORD}"] button.remove').click()
    wait(lambda: status(driver)["state"] == "ready" and status(driver)["step"] == "removed", 20, f"the subscription removed (now {status(driver)})")
    deletes = [r for r in fake(driver)["requests"] if r["method"] == "DELETE"]
    assert deletes and deletes[-1]["body"] == {"endpoint": FIRST["endpoint"]} and deletes[-1]["status"] == 204, deletes
    assert fake(driver)["unsubscribed"] >= 1
    assert stored_follow(driver) == {"billIds": [], "itemIds": [], "tags": [], "keywords": []}, stored_follow(driver)
    seen = len([r for r in pushes() if r.get("id") == FIRST["id"]])
    publish([{"type": "agenda.item", "data": {"itemId": "p2"}}, {"type": "agenda.item", "data": {"itemId": "p1"}}])
    time.sleep(3)
    after = [r for r in pushes() if r.get("id") == FIRST["id"]][seen:]
    assert not after, f"pushed after the subscription was deleted: {after}"
    measured["delivered"] = sorted({r["payload"]["type"] for r in pushes() if r.get("id") == FIRST["id"] and r.get("verified")})


def main():
    driver = browser(prefs={"profile.default_content_setting_values.notifications": 1})
    try:
        # The preference should do; granting through DevTools as well keeps the check independent of it.
        try:
            driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": BASE, "permissions": ["notifications"]})
        except Exception:
            pass
        check(driver)
        print(json.dumps(measured, ensure_ascii=False))
    except Exception as error:
        try:
            text = driver.execute_script("return document.body.innerText.slice(0, 1500)")
            print(f"--- page text:\n{text}\n--- status: {status(driver)}", file=sys.stderr)
        except Exception:
            pass
        print(f"FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
