"""A local HTTP server on 127.0.0.1 that replays recorded responses and injects faults on demand.

Look here when writing a test or benchmark of real HTTP code: point a source's base URL at ``server.url``,
register recorded bodies by path (and optionally by query parameters), and queue faults (status codes,
``Retry-After``, delays, truncated bodies, connection resets, HTML error pages, bodies trickled a byte at a time,
redirects, oversized bodies with or without a ``Content-Length``, gzip bombs). ``server.fallback`` answers every
path no route matches (a captive portal: ``server.fallback = Reply.html(...)``). Requests it received are in
``server.requests``. It never talks to anything but loopback.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@functools.lru_cache(maxsize=4)
def gzip_of_zeros(expanded: int) -> bytes:
    """A gzip stream that expands to ``expanded`` zero bytes (about 1/1000 of that size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(expanded >> 20)]
    parts += [packer.compress(bytes(expanded & ((1 << 20) - 1))), packer.flush()]
    return b"".join(parts)


@dataclass
class Reply:
    """One canned answer. ``truncate`` sends only that many body bytes; ``reset`` closes without answering;
    ``trickle`` sends the body one byte at a time, that many seconds apart; ``repeat`` sends the body that many
    times (a large answer without holding it in memory); ``declare_length=False`` sends no ``Content-Length``
    and ends the body by closing the connection; ``hold`` answers only once that event is set (a request kept
    on the wire for as long as a test needs, with no clock involved)."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    truncate: int | None = None
    reset: bool = False
    trickle: float = 0.0
    repeat: int = 1
    declare_length: bool = True
    hold: threading.Event | None = None

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls(json.dumps(obj), **kw)

    @classmethod
    def html(cls, text: str = "<!DOCTYPE html><html><body>Please log in to use this network</body></html>", **kw: Any) -> Reply:
        """An HTML page with status 200, as a captive portal or a broken proxy answers every request."""
        kw.setdefault("content_type", "text/html; charset=utf-8")
        return cls(text, **kw)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(b"", status=status, headers={"Location": location}, content_type="text/plain")

    @classmethod
    def oversized(cls, total_bytes: int, *, declare_length: bool = True, **kw: Any) -> Reply:
        """A JSON-looking body of ``total_bytes`` (spaces in a string), sent in 1 MB pieces."""
        piece = 1_000_000
        assert total_bytes % piece == 0, "a whole number of megabytes"
        return cls(b" " * piece, repeat=total_bytes // piece, declare_length=declare_length, **kw)

    @classmethod
    def gzip_bomb(cls, expanded_bytes: int = 256 << 20, **kw: Any) -> Reply:
        """A small gzip body (``Content-Encoding: gzip``) that expands to ``expanded_bytes`` zeros."""
        headers = {"Content-Encoding": "gzip", **kw.pop("headers", {})}
        return cls(gzip_of_zeros(expanded_bytes), headers=headers, **kw)

    @classmethod
    def file(cls, path: str | Path, **kw: Any) -> Reply:
        p = Path(path)
        kw.setdefault("content_type", "text/csv" if p.suffix == ".csv" else "application/json")
        return cls(p.read_bytes(), **kw)


@dataclass
class Route:
    path: str
    replies: list[Reply]
    params: dict[str, str] | None = None
    served: int = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if path.rstrip("/") != self.path.rstrip("/"):
            return False
        return all(query.get(k) == v for k, v in (self.params or {}).items())


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a client hangs up mid-answer (as clients that enforce a deadline or a size cap do)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class ReplayServer:
    """Start with ``with ReplayServer() as server:`` or ``start()``/``stop()``."""

    def __init__(self, latency: float = 0.0, port: int = 0):
        self.port = port  # 0: any free port (a fixed one lets a second process find the first one's cache keys)
        self.routes: list[Route] = []
        self.fallback: Reply | None = None  # the answer to any path no route matches (None: a 404 JSON error)
        self.requests: list[Received] = []
        self.latency = latency
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    def add(self, path: str, *replies: Reply, params: dict[str, str] | None = None) -> Route:
        """Answer GET ``path`` (and matching ``params``) with ``replies`` in turn; the last one repeats.

        Routes added later take precedence, so a test can override a default route with a fault.
        """
        route = Route(path, list(replies) or [Reply()], params)
        with self._lock:
            self.routes.insert(0, route)
        return route

    def requests_to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path.rstrip("/") == path.rstrip("/")]

    def start(self) -> ReplayServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                with server._lock:
                    server.requests.append(Received(parts.path, query, dict(self.headers), time.monotonic()))
                    route = next((r for r in server.routes if r.matches(parts.path, query)), None)
                    reply = route.next_reply() if route else server.fallback or Reply.json(
                        {"error": True, "reason": f"replay server: no route for {parts.path}"}, status=404
                    )
                if server.latency:
                    time.sleep(server.latency)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.hold is not None:
                    reply.hold.wait()
                if reply.reset:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.declare_length:
                    self.send_header("Content-Length", str(len(body) * reply.repeat))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.truncate is not None or not reply.declare_length:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.truncate is not None:
                    self.wfile.write(body[: reply.truncate])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                try:
                    self._write_body(reply, body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a cap or a deadline)
                    self.close_connection = True
                    return
                if not reply.declare_length:
                    self.close_connection = True

            def _write_body(self, reply: Reply, body: bytes) -> None:
                if reply.trickle:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(reply.trickle)
                    return
                for _ in range(reply.repeat):
                    self.wfile.write(body)

        self._httpd = _QuietServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
