"""HTTP plumbing: a threaded HTTP/1.1 server bound to 127.0.0.1 that hands every request to a host app.

The server knows nothing about Leonardo: it reads the request (honouring ``Content-Length`` and chunked
bodies), calls ``app.handle(Request) -> Response`` and writes the answer, or closes the connection
without a byte when the response says ``drop``. Open connections are tracked so :meth:`LocalServer.stop`
can cut idle keep-alive connections instead of leaving their threads behind.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from .messages import Request, Response

LOOPBACK = "127.0.0.1"
MAX_BODY_BYTES = 1 << 30


class App(Protocol):
    """A host: the API, the upload ("S3") host or the CDN host."""

    label: str

    def handle(self, request: Request) -> Response: ...


LogFn = Callable[[str], None]


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    server_version = "LeonardoEmulator/1.0"
    sys_version = ""
    timeout = 30.0
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait for delayed ACKs

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default per-request log; :class:`LocalServer` logs its own line."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes | None:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                size = int(size_line, 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(16)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        length = int(length_text)
        if length < 0 or length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self._write(Response(400, b"unreadable request body", {"Content-Type": "text/plain"}))
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={key: value for key, value in self.headers.items()},
            body=body,
        )
        try:
            response = self.server.app.handle(request)
        except Exception as exc:  # a bug in a host must not kill the connection silently
            self.server.log(f"{self.server.app.label} {request.method} {request.path} crashed: {exc!r}")
            response = Response(500, b"emulator internal error", {"Content-Type": "text/plain"})
        if response.drop:
            self.server.log(f"{self.server.app.label} {request.method} {request.path} dropped")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.server.log(f"{self.server.app.label} {request.method} {request.path} {response.status}")
        self._write(response, head_only=request.method == "HEAD")

    def _write(self, response: Response, head_only: bool = False) -> None:
        try:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if not head_only and response.body:
                self.wfile.write(response.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class LocalServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 serving one :class:`App` in a background thread."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, port: int, app: App, log: LogFn | None = None) -> None:
        self.app = app
        self._log = log
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__((LOOPBACK, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def track(self, connection: socket.socket, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"emulator-{self.app.label}"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close the listening socket and cut every open connection."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
