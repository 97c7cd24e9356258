#!/usr/bin/env python3
"""A webhook receiver on 127.0.0.1 for the tests: it checks each request's HMAC-SHA256 signature with the
shared secret (independently of the server's code) and appends one JSON line per request to LOG_FILE.

usage: webhook_receiver.py PORT LOG_FILE SECRET [--fail-each N] [--always-fail]
--fail-each N answers 500 to the first N attempts of every delivery id, then 200.
PORT 0 picks a free port; the chosen port is printed as "listening PORT".
"""
import hashlib
import hmac
import http.server
import json
import sys
import threading

port, log_file, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
fail_each = int(sys.argv[sys.argv.index("--fail-each") + 1]) if "--fail-each" in sys.argv else 0
always_fail = "--always-fail" in sys.argv
lock = threading.Lock()
attempts = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("X-SenateLive-Timestamp", "")
        expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, self.headers.get("X-SenateLive-Signature", ""))
        with lock:
            delivery = self.headers.get("X-SenateLive-Delivery")
            attempts[delivery] = attempts.get(delivery, 0) + 1
            status = 500 if always_fail or attempts[delivery] <= fail_each else 200
            record = {
                "status": status, "valid": valid, "delivery": self.headers.get("X-SenateLive-Delivery"),
                "event": self.headers.get("X-SenateLive-Event"), "webhook": self.headers.get("X-SenateLive-Webhook"),
                "body": json.loads(body or b"null"),
            }
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
