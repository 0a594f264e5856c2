"""A webhook receiver: registers itself at the gateway for a department's (or a platform's) alerts,
then verifies and prints every delivery (signature, timestamp, replay), answering 204.

    NEWFORM_SUBSCRIBER_TOKEN=$(.venv/bin/newform token --role department --department hrss) \\
        python sdks/python/webhook_receiver.py --port 9000

A platform token subscribes the platform to alerts about itself instead. Stop with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run from a checkout without installing

from newform_sdk.gateway import AuthenticatedClient
from newform_sdk.gateway.api.webhooks import register_webhook
from newform_sdk.gateway.models import WebhookCreate
from newform_sdk.webhooks import DuplicateDelivery, WebhookVerificationError, WebhookVerifier


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--gateway", default=os.environ.get("NEWFORM_GATEWAY_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args()

    gateway = AuthenticatedClient(args.gateway, token=os.environ["NEWFORM_SUBSCRIBER_TOKEN"])
    created = register_webhook.sync_detailed(
        client=gateway,
        idempotency_key=str(uuid.uuid4()),
        body=WebhookCreate(url=f"http://127.0.0.1:{args.port}/newform"),
    )
    if created.status_code != 201:
        raise SystemExit(f"registration refused: HTTP {created.status_code} {created.content[:300]!r}")
    hook = created.parsed
    verifier = WebhookVerifier(hook.secret)  # keep the secret: the gateway shows it only once

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                payload = verifier.verify(body, dict(self.headers))
                print(
                    f"verified {payload['event']} {payload['alert_id']}: {payload['rule']} "
                    f"(key {self.headers['webhook-key-id']})",
                    flush=True,
                )
                self.send_response(204)
            except DuplicateDelivery:
                self.send_response(204)  # already handled: acknowledge, do nothing again
            except WebhookVerificationError as exc:
                print(f"refused: {exc}", flush=True)
                self.send_response(400)
            self.end_headers()

        def log_message(self, *args):  # quiet: the lines above say what happened
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(
        f"webhook {hook.id} ({', '.join(hook.key_ids)}) listening on http://127.0.0.1:{args.port}/newform", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
