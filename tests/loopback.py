"""A loopback HTTP server for tests that need a server the emulator cannot be: one that
throttles, sends a gzip bomb, redirects or answers with something that is not the API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Recorder:
    """A loopback HTTP server recording every request (``seen``: method, path, headers,
    body); ``answer(handler)`` replies. ``protocol`` is the handler's HTTP version
    (``HTTP/1.1`` keeps connections alive, as the API's servers do)."""

    def __init__(
        self,
        answer: Callable[[BaseHTTPRequestHandler], None],
        host: str = "127.0.0.1",
        *,
        protocol: str = "HTTP/1.0",
    ) -> None:
        self.seen: list[dict[str, object]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = protocol

            def log_message(self, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.seen.append(
                    {"method": self.command, "path": self.path,
                     "headers": dict(self.headers), "body": body}
                )  # fmt: skip
                answer(self)

            do_GET = do_POST = _record

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        # poll_interval 0.02 s: shutdown() returns at once, not after the default 0.5 s
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def queried(self, name: str) -> list[str]:
        """The query parameter ``name`` of every request seen ("" where it was absent)."""
        return [parse_qs(urlsplit(str(s["path"])).query).get(name, [""])[0] for s in self.seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reply(status: int, headers: dict[str, str] | None = None, body: bytes = b"{}"):
    """An ``answer`` for :class:`Recorder`: ``status``, ``headers`` and ``body``."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer
