"""A webhook receiver with Python's standard library only.

Verifies Standard Webhooks signatures over the raw body, refuses timestamps more than
5 minutes away, and processes each webhook-id once.

    WEBHOOK_SECRET=whsec_... PORT=8000 python3 receiver.py
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


class Refusal(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(secret, headers, raw_body, now=None):
    """Raises Refusal unless one of the signatures in the headers is ours over these exact bytes."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise Refusal(400, "missing webhook-id, webhook-timestamp or webhook-signature header")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise Refusal(400, "invalid webhook-timestamp")
    now = int(time.time()) if now is None else now
    if now - int(timestamp) > TOLERANCE_SECONDS:
        raise Refusal(400, "timestamp too old")
    if int(timestamp) - now > TOLERANCE_SECONDS:
        raise Refusal(400, "timestamp too new")

    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + raw_body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # Several space-separated signatures during a secret rotation: any one of them will do.
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise Refusal(401, "no matching signature")


SECRET = os.environ.get("WEBHOOK_SECRET")
# webhook-ids already accepted. A real receiver keeps them in its database (a unique key) for
# as long as a webhook can come again: 30 days covers retries and a dead-letter redrive.
seen = set()
seen_lock = threading.Lock()


def handle(headers, raw_body):
    verify(SECRET, headers, raw_body)
    try:
        event = json.loads(raw_body)  # only once the signature is verified
    except ValueError:
        raise Refusal(400, "body is not JSON") from None
    msg_id = headers["webhook-id"]
    # The endpoint verification handshake (on subscribing, and when the URL changes): no event to
    # process, only the challenge to echo; not kept in `seen`, as its retries must be answered too.
    if event.get("type") == "webhook.endpoint.verification":
        print(f"verification {msg_id}", flush=True)
        return 200, {"challenge": event["data"]["challenge"]}
    with seen_lock:  # claim the id, so that two copies arriving together are processed once
        duplicate = msg_id in seen
        seen.add(msg_id)
    if duplicate:
        # A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
        print(f"duplicate {msg_id}", flush=True)
        return 200, "duplicate"
    try:
        # Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers.
        print(f"processed {msg_id} {event.get('type')}", flush=True)
    except Exception:
        with seen_lock:
            seen.discard(msg_id)  # not processed: let the sender's retry try again
        raise
    return 200, "accepted"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw_body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            status, text = handle(self.headers, raw_body)
        except Refusal as refusal:
            status, text = refusal.status, refusal.reason
            print(f"refused {status} {text}", flush=True)
        content_type = "text/plain"
        if isinstance(text, dict):  # answered as JSON
            text, content_type = json.dumps(text), "application/json"
        body = text.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # one line per webhook is printed above


if __name__ == "__main__":
    if not SECRET:
        sys.exit("Set WEBHOOK_SECRET to the subscription secret (whsec_...).")
    port = int(os.environ.get("PORT") or (sys.argv[1] if len(sys.argv) > 1 else 8000))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
