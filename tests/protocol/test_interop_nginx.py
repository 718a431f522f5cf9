"""Interop with nginx: crlf's client role reads what nginx sends, nginx reads what crlf writes.

The test starts its own nginx (Debian package; ``apt-get install -y nginx``) with a temporary
config on a free port: static files with keep-alive, gzip (which nginx sends chunked), a few
``return`` locations, and a proxied location in front of an ``http.server`` echo backend. nginx
de-chunks crlf's chunked requests before proxying them, so the echo shows what nginx read; and
it re-frames the backend's close-delimited HTTP/1.0 response as chunked for us.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from crlf.protocol import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    InformationalResponse,
    Request,
    Response,
    State,
)
from tests.helpers import SocketClient
from tests.protocol._echo import Handler, echo_of

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )


pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        nginx_binary() is None,
        reason="nginx is not installed (apt-get install -y nginx; scripts/setup-test.sh does it)",
    ),
]

CONF = """
worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    types {{ text/plain txt; text/html html; }}
    default_type application/octet-stream;
    keepalive_timeout 30;
    keepalive_requests 100;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location /gz/ {{ gzip on; gzip_min_length 1; gzip_types text/plain; }}
        location = /conn {{ default_type text/plain; return 200 "$connection"; }}
        location = /moved {{ return 301 https://developer.mozilla.org/; }}
        location /echo/ {{ proxy_pass http://127.0.0.1:{backend}/; }}
        location = /http10 {{ proxy_pass http://127.0.0.1:{backend}; }}
    }}
}}
"""

TEXT = ("El cliente establece una conexión TCP. " * 300).encode()
PAGE = b"<!DOCTYPE html><title>crlf</title><p>Bonjour</p>\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Poll until nginx accepts (the start of an external process; nothing else to wait on)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            try:
                proc.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                pass
    raise RuntimeError(f"nginx is not listening on {port}")


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    directory: Path = tmp_path_factory.mktemp("nginx")
    (directory / "tmp").mkdir()
    www = directory / "www"
    (www / "gz").mkdir(parents=True)
    (www / "index.html").write_bytes(PAGE)
    (www / "gz" / "text.txt").write_bytes(TEXT)
    (www / "big.bin").write_bytes(os.urandom(1024 * 1024))
    backend = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    backend.daemon_threads = True
    thread = threading.Thread(target=backend.serve_forever, daemon=True)
    thread.start()
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(CONF.format(dir=directory, port=port, backend=backend.server_address[1]))
    binary = nginx_binary()
    assert binary is not None
    proc = subprocess.Popen(
        [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield ("127.0.0.1", port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        backend.shutdown()
        backend.server_close()
        thread.join()


def get(path: bytes, method: bytes = b"GET", **kw: object) -> Request:
    headers = [(b"Host", b"localhost"), *kw.pop("headers", [])]  # type: ignore[misc]
    return Request(method=method, target=path, headers=headers, **kw)  # type: ignore[arg-type]


def test_keep_alive_static_files(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        connections = set()
        for _ in range(3):
            response, data, end = client.request(get(b"/index.html"))
            assert isinstance(response, Response)
            assert response.status_code == 200
            assert (response.headers.get(b"server") or b"").startswith(b"nginx")
            assert response.headers.get(b"content-length") == b"%d" % len(PAGE)
            assert b"etag" in response.headers
            assert b"last-modified" in response.headers
            assert data == Data(PAGE)
            assert end == EndOfMessage()
            _, conn_id, _ = client.request(get(b"/conn"))
            assert isinstance(conn_id, Data)
            connections.add(bytes(conn_id.data))
        assert len(connections) == 1  # nginx saw one connection: keep-alive worked


def test_large_file_over_many_reads(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        response, data, _ = client.request(get(b"/big.bin"))
        assert isinstance(response, Response)
        assert isinstance(data, Data)
        assert len(data.data) == 1024 * 1024
        assert client.conn.their_state is State.DONE


def test_head_then_get(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        response, end = client.request(get(b"/index.html", b"HEAD"))
        assert isinstance(response, Response)
        assert response.headers.get(b"content-length") == b"%d" % len(PAGE)
        assert end == EndOfMessage()
        _, data, _ = client.request(get(b"/index.html"))
        assert data == Data(PAGE)


def test_gzip_is_sent_chunked(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        request = get(b"/gz/text.txt", headers=[(b"Accept-Encoding", b"gzip")])
        response, data, end = client.request(request)
        assert isinstance(response, Response)
        assert response.headers.get(b"transfer-encoding") == b"chunked"
        assert response.headers.get(b"content-encoding") == b"gzip"
        assert isinstance(data, Data)
        assert gzip.decompress(bytes(data.data)) == TEXT
        assert end == EndOfMessage()
        _, data, _ = client.request(get(b"/index.html"))  # the chunked framing ended exactly
        assert data == Data(PAGE)


def test_not_found_and_redirect_keep_the_connection(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        response, data, _ = client.request(get(b"/missing.html"))
        assert isinstance(response, Response)
        assert (response.status_code, response.reason) == (404, b"Not Found")
        assert isinstance(data, Data)
        assert b"404" in bytes(data.data)
        response, *_ = client.request(get(b"/moved"))
        assert isinstance(response, Response)
        assert response.status_code == 301
        assert response.headers.get(b"location") == b"https://developer.mozilla.org/"
        assert client.conn.keep_alive


def test_http10_request_gets_a_closing_response(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        response, data, _ = client.request(get(b"/index.html", http_version=b"1.0"))
        assert isinstance(response, Response)
        assert data == Data(PAGE)
        assert client.conn.our_state is State.MUST_CLOSE
        assert client.wait_closed() == [ConnectionClosed()]


def test_connection_close_request(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        response, *_ = client.request(get(b"/index.html", headers=[(b"Connection", b"close")]))
        assert isinstance(response, Response)
        assert response.headers.get(b"connection") == b"close"
        assert client.conn.their_state is State.MUST_CLOSE
        assert client.wait_closed() == [ConnectionClosed()]


def test_nginx_reads_crlf_content_length_and_chunked_requests(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        body = b"name=Juan%20Garcia"
        request = get(b"/echo/form", b"POST", headers=[(b"Content-Length", b"%d" % len(body))])
        echo = echo_of(client.request(request, body))
        assert (echo["method"], echo["path"], echo["body"]) == ("POST", "/form", body.decode())
        client.conn.start_next_cycle()
        client.send(get(b"/echo/up", b"PUT", headers=[(b"Transfer-Encoding", b"chunked")]))
        for piece in (b"a" * 10, b"b" * 70000, b"c"):
            client.send(Data(piece))
        client.send(EndOfMessage())
        echo = echo_of(client.receive())
        assert echo["method"] == "PUT"
        assert echo["body"] == "a" * 10 + "b" * 70000 + "c"


def test_100_continue_from_nginx(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        request = get(
            b"/echo/expect",
            b"POST",
            headers=[(b"Content-Length", b"2"), (b"Expect", b"100-continue")],
        )
        client.send(request)
        (interim,) = client.receive(until=(InformationalResponse,))
        assert isinstance(interim, InformationalResponse)
        assert interim.status_code == 100
        client.send(Data(b"ok"), EndOfMessage())
        assert echo_of(client.receive())["body"] == "ok"


def test_backend_close_delimited_response_is_rechunked(nginx: tuple[str, int]) -> None:
    with SocketClient(nginx) as client:
        response, data, end = client.request(get(b"/http10"))
        assert isinstance(response, Response)
        assert response.http_version == b"1.1"
        assert response.headers.get(b"transfer-encoding") == b"chunked"
        assert data == Data(b"until the connection closes")
        assert end == EndOfMessage()
        assert client.conn.keep_alive
