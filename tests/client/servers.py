"""Real servers for the client tests, all on 127.0.0.1.

- :class:`ScriptedServer`: a raw-socket server whose per-connection behaviour is a Python
  function, for responses no real server sends (bad status lines, truncated bodies...) and for
  counting connections exactly (U3 ``test_socketlevel.py`` style).
- :func:`start_nginx`: the Debian nginx with a temporary config (interop tests).
- :func:`echo_app`: a small ASGI app, served by crlf's own server when it is installed and by
  uvicorn otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class Peer:
    """The server's end of one accepted connection, with a request reader."""

    def __init__(self, sock: socket.socket, index: int) -> None:
        self.sock = sock
        self.index = index
        self.buf = b""
        self.method = ""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def read_head(self) -> tuple[str, str, dict[str, str], bytes] | None:
        """(method, target, lowercased headers, raw head) or None when the client closed."""
        while b"\r\n\r\n" not in self.buf:
            try:
                if not self._fill():
                    return None
            except OSError:
                return None
        raw, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        return method, target, headers, raw + b"\r\n\r\n"

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError("client closed mid-body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise EOFError("client closed mid-chunk")
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", ""):
            out = b""
            while True:
                size = int(self.read_line().split(b";")[0], 16)
                if size == 0:
                    while self.read_line():
                        pass
                    return out
                out += self.read_exact(size)
                self.read_exact(2)
        return self.read_exact(int(headers.get("content-length", "0")))

    def read_request(self) -> tuple[str, str, dict[str, str], bytes] | None:
        """(method, target, headers, body) of the next request, or None at EOF."""
        head = self.read_head()
        if head is None:
            return None
        method, target, headers, _ = head
        self.method = method
        if headers.get("expect", "").lower() == "100-continue":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        return method, target, headers, self.read_body(headers)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        reason: str = "OK",
    ) -> None:
        head = f"HTTP/1.1 {status} {reason}\r\n"
        fields = list(headers or [])
        if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in fields):
            fields.append(("Content-Length", str(len(body))))
        head += "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
        if self.method == "HEAD":
            body = b""  # RFC 9110 §9.3.2: the head only
        self.send(head.encode("latin-1") + body)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


Handler = Callable[[Peer], None]


class ScriptedServer:
    """Accepts connections on 127.0.0.1 and runs ``handler(peer)`` for each in a thread.

    Attributes:
        connections: how many connections were accepted (reuse is counted here).
        requests: (connection index, method, target, headers, body) as handlers record them.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.requests: list[tuple[int, str, str, dict[str, str], bytes]] = []
        self._peers: list[Peer] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._accept_thread = threading.Thread(target=self._accept, daemon=True)
        self._accept_thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            peer = Peer(sock, self.connections)
            self.connections += 1
            self._peers.append(peer)
            t = threading.Thread(target=self._run, args=(peer,), daemon=True)
            self._threads.append(t)
            t.start()

    def _run(self, peer: Peer) -> None:
        try:
            self.handler(peer)
        except (OSError, EOFError):
            pass
        finally:
            peer.close()

    def serve_forever(
        self, respond: Callable[[Peer, str, str, dict[str, str], bytes], None]
    ) -> Handler:
        """A handler answering every request on a connection with ``respond`` until EOF."""

        def handler(peer: Peer) -> None:
            while True:
                req = peer.read_request()
                if req is None:
                    return
                self.requests.append((peer.index, *req))
                respond(peer, *req)

        return handler

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        for peer in self._peers:
            peer.close()
        for t in self._threads:
            t.join(timeout=5)


def keep_alive_server(
    respond: Callable[[Peer, str, str, dict[str, str], bytes], None],
) -> ScriptedServer:
    """A ScriptedServer answering every request of every connection with ``respond``."""
    server = ScriptedServer(lambda peer: None)
    server.handler = server.serve_forever(respond)
    return server


# ------------------------------------------------------------------ nginx --

NGINX_CONF = """
worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    log_format conn '$connection $request_method $uri $status';
    access_log {dir}/access.log conn;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    types {{ text/plain txt; text/html html; application/json json; }}
    default_type application/octet-stream;
    keepalive_timeout 30 30;
    gzip on;
    gzip_min_length 1;
    gzip_types text/plain application/json;
    absolute_redirect off;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location = / {{ gzip off; default_type text/plain; return 200 "Hello, world!"; }}
        location = /conn {{ default_type text/plain; return 200 "$connection"; }}
        location = /moved {{ return 301 /conn; }}
        location = /see-other {{ return 303 /conn; }}
        location = /loop {{ return 302 /loop; }}
        location = /missing {{ default_type text/html; return 404 "<h1>Not here</h1>"; }}
        location /nocache/ {{ add_header Cache-Control no-cache; }}
        location /fresh/ {{ expires 1h; }}
    }}
    server {{
        listen 127.0.0.1:{port2};
        keepalive_requests 3;
        location = /conn {{ default_type text/plain; return 200 "$connection"; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Poll until the server's port accepts (startup of an external process only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


class Nginx:
    """A running nginx: ``url(path)``, ``url2(path)`` (keepalive_requests 3), ``access_log()``."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.port2 = free_port()
        (directory / "tmp").mkdir()
        www = directory / "www"
        for sub in ("nocache", "fresh", "static"):
            (www / sub).mkdir(parents=True)
        text = ("El cliente establece una conexión TCP. " * 200).encode("utf-8")
        for sub in ("nocache", "fresh", "static"):
            (www / sub / "page.txt").write_bytes(text)
        (www / "static" / "data.json").write_bytes(b'{"idioma": "espa\xc3\xb1ol", "n": 3}')
        (www / "static" / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
        self.text = text
        conf = directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=directory, port=self.port, port2=self.port2))
        self.proc = subprocess.Popen(
            [
                nginx_binary() or "nginx",
                "-p",
                str(directory),
                "-c",
                str(conf),
                "-e",
                str(directory / "error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.proc)
        wait_for_port(self.port2, self.proc)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def url2(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port2}{path}"

    def access_log(self) -> list[str]:
        path = self.dir / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )


@contextlib.contextmanager
def running_nginx(directory: Path) -> Iterator[Nginx]:
    server = Nginx(directory)
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------- Python ASGI servers --


class AppServer:
    """``tests.client.asgi_app:app`` under ``python -m crlf run`` (or uvicorn), on a socket this
    process bound and passed with ``--fd``: connections queue in its backlog, no start-up race."""

    def __init__(self, command: str) -> None:
        import sys

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        root = str(Path(__file__).resolve().parents[2])
        if command == "crlf":
            argv = [
                sys.executable,
                "-m",
                "crlf",
                "run",
                "--fd",
                str(fd),
                "--log-level",
                "warning",
                "tests.client.asgi_app:app",
            ]
        else:
            argv = [
                sys.executable,
                "-m",
                "uvicorn",
                "--fd",
                str(fd),
                "--log-level",
                "warning",
                "tests.client.asgi_app:app",
            ]
        self.proc = subprocess.Popen(
            argv, pass_fds=[fd], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.name = command

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.listener.close()
