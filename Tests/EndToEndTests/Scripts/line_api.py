#!/usr/bin/env python3
"""A local stand-in for the LINE Messaging API on 127.0.0.1, for the tests: it checks each request's
format against LINE's published reference (https://developers.line.biz/en/reference/messaging-api/),
with its own code, and logs what it got.

  line_api.py --port-file PF --log LOG --token TOKEN [--port 0] [--behaviour BEHAV.json]
      serves, writing the chosen port to PF (atomically) once listening; exits cleanly on SIGTERM.
  line_api.py sign --secret SECRET --body-file F
      prints the X-Line-Signature of F's bytes (base64 of HMAC-SHA256 with the channel secret), for
      tests that post LINE webhooks to the server.

Endpoints:
  POST /v2/bot/message/multicast  {"to": [1..500 user ids], "messages": [1..5 message objects]}
  POST /v2/bot/message/push       {"to": "<user, group or room id>", "messages": [1..5]}
  GET  /v2/bot/message/quota/consumption  {"totalUsage": n}
  GET  /stats                     {"requests", "accepted", "recipients" (sum over accepted requests),
                                   "messageObjects" (recipients x message objects, summed),
                                   "byStatus": {"200": n, ...}}
Checks on the sending endpoints: `Authorization: Bearer TOKEN` (else 401); `Content-Type:
application/json`; a JSON object body; user ids `U` + 32 lowercase hex (push also takes group `C…` and
room `R…` ids); message objects of a known type, a text message `{"type": "text", "text": ...}` with
1..5000 characters (counted in UTF-16 code units, the stricter reading of LINE's limit);
`notificationDisabled` a boolean; `X-Line-Retry-Key`, if present, a UUID (hex 8-4-4-4-12).
A format violation gets 400 {"message": ..., "details": [{"message", "property"}]}.
A retry key already accepted gets 409 {"message": "The retry key is already accepted"} with
`x-line-accepted-request-id`; success is 200 {} with `x-line-request-id`.
totalUsage counts, as LINE bills, one message per recipient of an accepted request, however many
message objects it carried.

Behaviour file (JSON object, optional): {"rateLimit": 2} answers the first 2 well-formed sending
requests 429 {"message": "Too Many Requests"} (a 429 does not use up the retry key).

LOG: one JSON line per request (but GET /stats and the quota), flushed at once:
  {"path", "status", "retryKey": str|null, "to": [...]|str|null, "messages": [...]|null,
   "error": str|null, "t": epoch seconds}
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import signal
import sys
import threading
import time
import uuid

USER_ID = re.compile(r"U[0-9a-f]{32}\Z")
PUSH_TARGET = re.compile(r"[UCR][0-9a-f]{32}\Z")  # a user, group or room
RETRY_KEY = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
MESSAGE_TYPES = {"text", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"}
MAX_BODY = 2 * 1024 * 1024  # LINE refuses request bodies over 2 MB
MULTICAST, PUSH, QUOTA = "/v2/bot/message/multicast", "/v2/bot/message/push", "/v2/bot/message/quota/consumption"


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def check_https_url(value, prop, details, limit=2000):
    if not isinstance(value, str) or not value.startswith("https://") or len(value) > limit:
        details.append({"message": f"Must be an HTTPS URL of at most {limit} characters", "property": prop})


def check_message(message, prop, details):
    """Appends LINE-style error details for one message object."""
    if not isinstance(message, dict):
        details.append({"message": "Must be an object", "property": prop})
        return
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        details.append({"message": f"Unknown message type {kind!r}", "property": f"{prop}.type"})
        return
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text:
            details.append({"message": "May not be empty", "property": f"{prop}.text"})
        elif utf16_length(text) > 5000:
            details.append({"message": "Length must be between 0 and 5000", "property": f"{prop}.text"})
    elif kind == "sticker":
        for field in ("packageId", "stickerId"):
            if not isinstance(message.get(field), str) or not message.get(field):
                details.append({"message": "May not be empty", "property": f"{prop}.{field}"})
    elif kind in ("image", "video"):
        check_https_url(message.get("originalContentUrl"), f"{prop}.originalContentUrl", details)
        check_https_url(message.get("previewImageUrl"), f"{prop}.previewImageUrl", details)
    elif kind == "audio":
        check_https_url(message.get("originalContentUrl"), f"{prop}.originalContentUrl", details)
        if not isinstance(message.get("duration"), int):
            details.append({"message": "Must be a number", "property": f"{prop}.duration"})
    elif kind in ("template", "flex", "imagemap"):
        alt = message.get("altText")
        limit = 1500 if kind == "flex" else 400
        if not isinstance(alt, str) or not alt or utf16_length(alt) > limit:
            details.append({"message": f"Length must be between 1 and {limit}", "property": f"{prop}.altText"})
        body_field = {"template": "template", "flex": "contents", "imagemap": "baseUrl"}[kind]
        if body_field not in message:
            details.append({"message": "May not be null", "property": f"{prop}.{body_field}"})
    elif kind == "location":
        for field in ("title", "address"):
            if not isinstance(message.get(field), str) or not message.get(field):
                details.append({"message": "May not be empty", "property": f"{prop}.{field}"})


def check_send(path, body):
    """LINE-style error details for a push or multicast body ([] when it is well-formed)."""
    details = []
    to = body.get("to")
    if path == MULTICAST:
        if not isinstance(to, list) or not 1 <= len(to) <= 500:
            details.append({"message": "Size must be between 1 and 500", "property": "to"})
        else:
            for i, user in enumerate(to):
                if not isinstance(user, str) or not USER_ID.match(user):
                    details.append({"message": f"Invalid user ID {user!r}", "property": f"to[{i}]"})
    elif not isinstance(to, str) or not PUSH_TARGET.match(to):
        details.append({"message": f"Invalid ID {to!r}", "property": "to"})
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        details.append({"message": "Size must be between 1 and 5", "property": "messages"})
    else:
        for i, message in enumerate(messages):
            check_message(message, f"messages[{i}]", details)
    if "notificationDisabled" in body and not isinstance(body["notificationDisabled"], bool):
        details.append({"message": "Must be a boolean", "property": "notificationDisabled"})
    units = body.get("customAggregationUnits")
    if units is not None and (not isinstance(units, list) or len(units) > 1 or not all(isinstance(u, str) for u in units)):
        details.append({"message": "At most 1 unit name", "property": "customAggregationUnits"})
    return details


class State:
    def __init__(self, token, log_path, rate_limit):
        self.token = token
        self.log = open(log_path, "a", encoding="utf-8")
        self.rate_limited_left = rate_limit
        self.lock = threading.Lock()
        self.accepted_keys = {}  # retry key -> request id of the accepted request
        self.requests = 0
        self.accepted = 0
        self.recipients = 0
        self.message_objects = 0
        self.by_status = {}

    def record(self, path, status, retry_key, to, messages, error):
        """Counts and logs one request (under the lock)."""
        self.requests += 1
        self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
        line = {"path": path, "status": status, "retryKey": retry_key, "to": to, "messages": messages,
                "error": error, "t": time.time()}
        self.log.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    state: State = None

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body over 2 MB")
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        if length > MAX_BODY:
            raise ValueError("body over 2 MB")
        return self.rfile.read(length)

    def authorized(self):
        return hmac.compare_digest(self.headers.get("Authorization", ""), f"Bearer {self.state.token}")

    def do_GET(self):
        state = self.state
        if self.path == "/stats":
            with state.lock:
                self.answer(200, {"requests": state.requests, "accepted": state.accepted,
                                  "recipients": state.recipients, "messageObjects": state.message_objects,
                                  "byStatus": state.by_status})
        elif self.path == QUOTA:
            if not self.authorized():
                self.answer(401, {"message": "Authentication failed. Confirm that the access token in the "
                                             "authorization header is valid."})
            else:
                with state.lock:
                    self.answer(200, {"totalUsage": state.recipients})
        else:
            with state.lock:
                state.record(self.path, 404, None, None, None, "not found")
            self.answer(404, {"message": "Not found"})

    def do_POST(self):
        state = self.state
        path = self.path.split("?", 1)[0]
        retry_key = self.headers.get("X-Line-Retry-Key")
        try:
            raw = self.read_body()
        except ValueError as error:
            self.close_connection = True
            with state.lock:
                state.record(path, 413, retry_key, None, None, str(error))
            self.answer(413, {"message": "Request Entity Too Large"})
            return
        if path not in (MULTICAST, PUSH):
            with state.lock:
                state.record(path, 404, retry_key, None, None, "not found")
            self.answer(404, {"message": "Not found"})
            return
        body, to, messages = None, None, None
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            pass
        if isinstance(body, dict):
            to, messages = body.get("to"), body.get("messages")

        status, reply, headers, error = 200, {}, [], None
        content_type = self.headers.get("Content-Type", "")
        if not self.authorized():
            status, error = 401, "bad or missing channel access token"
            reply = {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}
        elif content_type.split(";", 1)[0].strip().lower() != "application/json":
            status, error = 400, f"Content-Type {content_type!r}, expected application/json"
            reply = {"message": "The request body has 1 error(s)",
                     "details": [{"message": error, "property": "Content-Type"}]}
        elif retry_key is not None and not RETRY_KEY.match(retry_key):
            status, error = 400, f"X-Line-Retry-Key {retry_key!r} is not a UUID"
            reply = {"message": "The value for the 'X-Line-Retry-Key' header is invalid", "details": [
                {"message": error, "property": "X-Line-Retry-Key"}]}
        elif not isinstance(body, dict):
            status, error = 400, "body is not a JSON object"
            reply = {"message": "The request body could not be parsed as JSON", "details": []}
        else:
            details = check_send(path, body)
            if details:
                status, error = 400, "; ".join(f"{d['property']}: {d['message']}" for d in details)
                reply = {"message": f"The request body has {len(details)} error(s)", "details": details}

        with state.lock:
            if status == 200:
                key = retry_key.lower() if retry_key else None
                if key in state.accepted_keys:
                    status, error = 409, "retry key already accepted"
                    reply = {"message": "The retry key is already accepted"}
                    headers.append(("x-line-accepted-request-id", state.accepted_keys[key]))
                elif state.rate_limited_left > 0:
                    state.rate_limited_left -= 1
                    status, reply = 429, {"message": "Too Many Requests"}
                else:
                    request_id = str(uuid.uuid4())
                    headers.append(("x-line-request-id", request_id))
                    if key:
                        state.accepted_keys[key] = request_id
                    count = len(to) if path == MULTICAST else 1
                    state.accepted += 1
                    state.recipients += count
                    state.message_objects += count * len(messages)
            if status != 200:
                headers.append(("x-line-request-id", str(uuid.uuid4())))
            state.record(path, status, retry_key, to, messages, error)
        self.answer(status, reply, headers)


def sign(args):
    with open(args.body_file, "rb") as file:
        body = file.read()
    print(base64.b64encode(hmac.new(args.secret.encode(), body, hashlib.sha256).digest()).decode())


def serve(args):
    rate_limit = 0
    if args.behaviour:
        with open(args.behaviour, encoding="utf-8") as file:
            rate_limit = int(json.load(file).get("rateLimit", 0))
    Handler.state = State(args.token, args.log, rate_limit)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as file:
        file.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    print(f"listening {port}", flush=True)
    # serve_forever runs in a thread so that the signal handler (main thread) can wait for its shutdown.
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    server.shutdown()
    server.server_close()


def main():
    if sys.argv[1:2] == ["sign"]:
        parser = argparse.ArgumentParser(prog="line_api.py sign", description="Print the X-Line-Signature of a body.")
        parser.add_argument("--secret", required=True, help="the channel secret")
        parser.add_argument("--body-file", required=True)
        sign(parser.parse_args(sys.argv[2:]))
        return
    parser = argparse.ArgumentParser(description="A local stand-in for the LINE Messaging API.",
                                     epilog="or: line_api.py sign --secret SECRET --body-file F")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--token", required=True, help="the channel access token to expect")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--behaviour", help='JSON file, e.g. {"rateLimit": 2}')
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    serve(parser.parse_args())


if __name__ == "__main__":
    main()
