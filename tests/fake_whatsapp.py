"""A local stand-in for the WhatsApp Business Cloud API (Graph API): it records every message
POSTed to /<phone number id>/messages and answers as told (ok, an error status, or slowly)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        server: FakeWhatsApp = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = server.status
        if status == 200:
            server.received.append(
                {"path": self.path, "auth": self.headers["Authorization"], "body": body}
            )
            answer = {"messages": [{"id": f"wamid.{len(server.received)}"}]}
        else:
            answer = {"error": {"message": "fake failure", "code": status}}
        if server.delay:  # an answer slower than the client waits
            time.sleep(server.delay)
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left


class FakeWhatsApp(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict] = []
        self.status = 200
        self.delay = 0.0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v21.0"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
