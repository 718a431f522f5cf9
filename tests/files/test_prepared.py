"""The prepared responses of small files: answered from memory for ``revalidate_after`` seconds.

A fake clock stands in for ``time.monotonic`` so the window passes without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pathlib
import re
import socket
import tempfile
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from crlf.files import StaticFiles
from crlf.files import _app as app_module
from tests.files.conftest import OLD, make_site
from tests.files.serving import serve_app
from tests.server.serving import read_response, running

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping
    from pathlib import Path

IDENTITY = {"accept-encoding": "identity"}


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _write(path: Path, data: bytes, mtime: int) -> None:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def test_a_change_is_seen_once_the_window_passed(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    _write(path, b"version one", OLD)
    clock = Clock()
    app = StaticFiles(tmp_path, clock=clock)  # revalidate_after: 1 s by default
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        first = c.get("/f.txt")
        assert first.content == b"version one"
        old_tag = first.headers["etag"]
        _write(path, b"version two!", OLD + 10)
        # Within the window: the previous version, its body and validators together.
        clock.now += 0.9
        again = c.get("/f.txt")
        assert again.content == b"version one"
        assert again.headers["etag"] == old_tag
        assert again.headers["last-modified"] == first.headers["last-modified"]
        assert c.get("/f.txt", headers={"if-none-match": old_tag}).status_code == 304
        # The window is over: the disk is looked at, the new version has a new ETag.
        clock.now += 0.1
        second = c.get("/f.txt")
        assert second.content == b"version two!"
        assert second.headers["etag"] != old_tag
        assert second.headers["content-length"] == "12"
        assert c.get("/f.txt", headers={"if-none-match": old_tag}).status_code == 200
        new_tag = second.headers["etag"]
        assert c.get("/f.txt", headers={"if-none-match": new_tag}).status_code == 304
        # A removed file is a 404 after the window.
        path.unlink()
        clock.now += 1.0
        assert c.get("/f.txt").status_code == 404


def test_new_variants_and_redirect_rules_after_the_window(tmp_path: Path) -> None:
    root, _ = make_site(tmp_path)
    clock = Clock()
    app = StaticFiles(root, clock=clock, revalidate_after=5)
    german = {"accept-language": "de", **IDENTITY}
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        assert "<title>en</title>" in c.get("/", headers=german).text
        assert c.get("/hello.txt").status_code == 200
        (root / "index.de.html").write_bytes(b"<!DOCTYPE html><title>de</title>\n")
        redirects = root / "_redirects"
        redirects.write_bytes(redirects.read_bytes() + b"/hello.txt /sub/ 302\n")
        clock.now += 4.9
        assert "<title>en</title>" in c.get("/", headers=german).text
        assert c.get("/hello.txt").status_code == 200
        clock.now += 0.1
        r = c.get("/", headers=german)
        assert "<title>de</title>" in r.text
        assert r.headers["content-language"] == "de"
        moved = c.get("/hello.txt")
        assert moved.status_code == 302
        assert moved.headers["location"] == "/sub/"


def _normalised(r: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, fields without Date, body; a multipart boundary (random) made constant."""
    boundary = re.search(r"boundary=(\S+)", r.headers.get("content-type", ""))
    body = r.content
    fields = [(k, v) for k, v in r.headers.multi_items() if k != "date"]
    if boundary:
        body = body.replace(boundary.group(1).encode(), b"B")
        fields = [(k, v.replace(boundary.group(1), "B")) for k, v in fields]
    return r.status_code, fields, body


def test_answers_from_memory_equal_the_full_path(tmp_path: Path) -> None:
    """Every request, answered from a prepared response, equals the answer after a full lookup."""
    root, _ = make_site(tmp_path)
    clock = Clock()
    kept = StaticFiles(root, clock=clock, revalidate_after=60, gzip_min_size=256)
    fresh = StaticFiles(root, revalidate_after=0, gzip_min_size=256)
    with (
        serve_app(kept) as kept_url,
        serve_app(fresh) as fresh_url,
        httpx.Client(base_url=kept_url) as k,
        httpx.Client(base_url=fresh_url) as f,
    ):
        tag = f.get("/hello.txt", headers=IDENTITY).headers["etag"]
        date = f.get("/hello.txt", headers=IDENTITY).headers["last-modified"]
        cases: list[tuple[str, str, dict[str, str]]] = [
            ("GET", "/hello.txt", IDENTITY),
            ("HEAD", "/hello.txt", IDENTITY),
            ("GET", "/hello.txt", {"accept-encoding": "gzip"}),  # gzipped on the fly
            ("HEAD", "/hello.txt", {"accept-encoding": "gzip"}),
            ("GET", "/style.css", {"accept-encoding": "gzip, br"}),  # precompressed sibling
            ("GET", "/", {"accept-language": "fr", **IDENTITY}),
            ("GET", "/", {"accept-language": "es;q=0.5, fr;q=0.4", **IDENTITY}),
            ("GET", "/sub/page.html", IDENTITY),
            ("GET", "/image.png", IDENTITY),
            ("GET", "/hello.txt", {"if-none-match": tag, **IDENTITY}),
            ("HEAD", "/hello.txt", {"if-none-match": tag, **IDENTITY}),
            ("GET", "/hello.txt", {"if-none-match": tag, "range": "bytes=0-3", **IDENTITY}),
            ("GET", "/hello.txt", {"if-none-match": tag, "if-match": '"other"', **IDENTITY}),
            ("GET", "/hello.txt", {"if-none-match": tag, "if-match": tag, **IDENTITY}),
            (
                "GET",
                "/hello.txt",
                {"if-none-match": tag, "if-unmodified-since": "Sun, 06 Nov 1994 08:49:37 GMT"},
            ),
            ("GET", "/hello.txt", {"if-none-match": tag, "accept-encoding": "gzip"}),  # not its tag
            ("GET", "/hello.txt", {"if-none-match": "W/" + tag, **IDENTITY}),  # weak comparison
            ("GET", "/hello.txt", {"if-none-match": "", **IDENTITY}),
            ("HEAD", "/hello.txt", {"if-none-match": f'"x", {tag}', **IDENTITY}),
            ("GET", "/hello.txt", {"if-none-match": '"other"', **IDENTITY}),
            ("GET", "/hello.txt", {"if-modified-since": date, **IDENTITY}),
            ("GET", "/hello.txt", {"if-match": '"other"', **IDENTITY}),
            ("GET", "/hello.txt", {"if-unmodified-since": "Sun, 06 Nov 1994 08:49:37 GMT"}),
            ("GET", "/hello.txt", {"range": "bytes=10-19", **IDENTITY}),
            ("GET", "/hello.txt", {"range": "bytes=-5", **IDENTITY}),
            ("GET", "/hello.txt", {"range": "bytes=0-1, 5-6", **IDENTITY}),
            ("GET", "/hello.txt", {"range": "bytes=99999-", **IDENTITY}),
            ("GET", "/hello.txt", {"range": "bytes=0-3", "if-range": tag, **IDENTITY}),
            ("GET", "/hello.txt", {"range": "bytes=0-3", "if-range": '"old"', **IDENTITY}),
            ("HEAD", "/hello.txt", {"range": "bytes=0-3", **IDENTITY}),
            ("GET", "/hello.txt", {"range": "bytes=0-3", "accept-encoding": "gzip"}),
        ]
        for method, path, headers in cases:
            for _ in range(2):  # the first prepares, the second is answered from memory
                got = _normalised(k.request(method, path, headers=headers))
            assert got == _normalised(f.request(method, path, headers=headers)), (path, headers)
        assert len(kept._ready) >= 8  # the prepared responses were there to answer


def test_prepared_responses_hold_no_memory_beyond_the_cache(tmp_path: Path) -> None:
    for i in range(20):
        _write(tmp_path / f"{i}.bin", bytes([i]) * 1000, OLD)
    app = StaticFiles(tmp_path, cache_max_bytes=5000, clock=Clock())
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        for _ in range(2):
            for i in range(20):
                assert c.get(f"/{i}.bin").content == bytes([i]) * 1000
    assert app.cache.size <= 5000
    # Prepared responses of evicted files let their bytes go: what they hold is what the
    # cache holds.
    held = {id(r.file.data): len(r.file.data) for r in app._ready.values()}
    assert sum(held.values()) <= 5000
    assert all(r.file.live == (len(r.file.data) == 1000) for r in app._ready.values())


def test_prepared_responses_are_bounded_in_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "a.txt", b"a", OLD)
    monkeypatch.setattr(app_module, "MAX_PREPARED_RESPONSES", 8)
    app = StaticFiles(tmp_path, clock=Clock())
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        for i in range(30):  # a client varying a negotiation field cannot grow the table
            assert c.get("/a.txt", headers={"accept-language": f"x-{i}"}).content == b"a"
    assert 1 <= len(app._ready) <= 8


def test_no_prepared_responses_without_a_window_or_a_cache(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", b"a", OLD)
    for app in (
        StaticFiles(tmp_path, revalidate_after=0),
        StaticFiles(tmp_path, cache_max_bytes=0),
    ):
        with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
            assert c.get("/a.txt").content == b"a"
            assert c.get("/a.txt").content == b"a"
        assert len(app._ready) == 0


def test_negative_window_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="revalidate_after"):
        StaticFiles(tmp_path, revalidate_after=-1)


def test_middleware_editing_the_fields_does_not_change_the_next_response(tmp_path: Path) -> None:
    """Each response gets its own field list (Starlette's middleware edit it in place)."""
    _write(tmp_path / "a.txt", b"abc", OLD)
    app = StaticFiles(tmp_path, clock=Clock())

    async def get() -> list[MutableMapping[str, Any]]:
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> MutableMapping[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"].append((b"x-added", b"1"))
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/a.txt",
            "raw_path": b"/a.txt",
            "query_string": b"",
            "headers": [(b"host", b"x")],
        }
        await app(scope, receive, send)
        return sent

    for _ in range(3):
        start, body = asyncio.run(get())
        assert [v for k, v in start["headers"] if k == b"x-added"] == [b"1"]
        assert body["body"] == b"abc"
    assert len(app._ready) == 1


class CountingFiles(StaticFiles):
    """StaticFiles that counts how often the server ran it as an ASGI application."""

    runs = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.runs += 1
        await super().__call__(scope, receive, send)


def _get(path: bytes, *fields: bytes, method: bytes = b"GET", version: bytes = b"1.1") -> bytes:
    return (
        b"".join(
            [
                method,
                b" ",
                path,
                b" HTTP/",
                version,
                b"\r\nHost: t\r\n",
                *(f + b"\r\n" for f in fields),
            ]
        )
        + b"\r\n"
    )


def _fields(head: bytes) -> list[bytes]:
    """The head's lines without Date (which changes each second)."""
    return [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]


def test_the_server_answers_a_ready_file_without_running_the_app(tmp_path: Path) -> None:
    """crlf's server sends a prepared response itself (crlf_prepared_response): same bytes."""
    root, _ = make_site(tmp_path)
    app = CountingFiles(root, clock=Clock(), revalidate_after=60)
    with (
        running(app, max_requests_per_connection=7) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        buf = bytearray()
        sock.sendall(_get(b"/hello.txt"))
        first_head, first_body = read_response(sock, buf)
        assert app.runs == 1  # the first one prepares the response
        assert b"keep-alive: timeout=" in first_head.lower()
        # Pipelined in one send: two repeats and a HEAD, answered by the server in order.
        sock.sendall(_get(b"/hello.txt") * 2 + _get(b"/hello.txt", method=b"HEAD"))
        answers = [read_response(sock, buf) for _ in range(2)]
        while b"\r\n\r\n" not in buf:  # a HEAD answer: a head only
            buf += sock.recv(65536)
        head_only = bytes(buf[: buf.index(b"\r\n\r\n") + 4])
        del buf[: len(head_only)]
        assert app.runs == 1
        for n, (head, body) in enumerate(answers):
            assert body == first_body
            # The same fields; only the Keep-Alive countdown moves (max=6, then 5, 4).
            expected = [line.replace(b"max=6", b"max=%d" % (5 - n)) for line in _fields(first_head)]
            assert _fields(head) == expected
        assert head_only.startswith(b"HTTP/1.1 200 ")
        assert b"content-length: %d" % len(first_body) in head_only.lower()
        # Conditional, Range and query requests run the application as before.
        tag = re.search(rb"(?i)etag: (\S+)", first_head)
        assert tag is not None
        sock.sendall(_get(b"/hello.txt", b"If-None-Match: " + tag.group(1)))
        assert read_response(sock, buf)[0].startswith(b"HTTP/1.1 304 ")
        sock.sendall(_get(b"/hello.txt?v=1"))
        assert read_response(sock, buf)[1] == first_body
        assert app.runs == 3
        # The seventh and last request of the connection (max_requests_per_connection): the
        # server's own answer says so, and the connection ends.
        sock.sendall(_get(b"/hello.txt"))
        head, body = read_response(sock, buf)
        assert body == first_body
        assert b"connection: close" in head.lower()
        assert app.runs == 3
        assert sock.recv(1) == b""


@pytest.mark.parametrize(
    ("request_bytes", "closes"),
    [
        (_get(b"/hello.txt", b"Connection: close"), True),
        (_get(b"/hello.txt", version=b"1.0"), True),
        (_get(b"/hello.txt", b"Connection: keep-alive", version=b"1.0"), False),
        (_get(b"/hello.txt", b"Content-Length: 3") + b"abc", False),  # has a body: the app runs
    ],
)
def test_a_ready_answer_keeps_the_connection_rules(request_bytes: bytes, closes: bool) -> None:
    with (
        _ready_server() as (app, port),
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
    ):
        runs = app.runs
        sock.sendall(request_bytes)
        head, body = read_response(sock)
        assert body == b"".join(b"line %04d of the plain text file\n" % i for i in range(40))
        assert app.runs == runs + (b"Content-Length" in request_bytes)
        if closes:
            assert b"keep-alive: timeout" not in head.lower()
            assert sock.recv(1) == b""
        else:
            sock.sendall(_get(b"/hello.txt"))
            assert read_response(sock)[1] == body


@contextlib.contextmanager
def _ready_server(**options: Any) -> Iterator[tuple[CountingFiles, int]]:
    """A server whose app has /hello.txt's response ready (one request made)."""
    with tempfile.TemporaryDirectory() as tmp:
        root, _ = make_site(pathlib.Path(tmp))
        app = CountingFiles(root, clock=Clock(), revalidate_after=60)
        with running(app, **options) as server:
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(_get(b"/hello.txt", b"Connection: close"))
                read_response(sock)
            yield app, server.port


def test_with_the_access_log_on_every_request_runs_the_app(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each request must reach the access log, so the server does not answer for the app."""
    caplog.set_level(logging.INFO, logger="crlf.access")
    with (
        _ready_server(access_log=True) as (app, port),
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
    ):
        runs = app.runs
        for _ in range(3):
            sock.sendall(_get(b"/hello.txt"))
            read_response(sock)
        assert app.runs == runs + 3
    logged = [r for r in caplog.records if r.name == "crlf.access"]
    assert len(logged) == 4  # the request that prepared the response, and these three


class _RefusedAnswer:
    """An app whose answer-from-memory hook gives a field the protocol refuses (CR LF)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        raise AssertionError("the hook answers every request")

    def crlf_prepared_response(
        self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return 200, [(b"x-split", b"a\r\nInjected: yes")], b"body"


def test_a_refused_ready_answer_is_a_500_and_a_close() -> None:
    with running(_RefusedAnswer()) as server:
        for _ in range(2):  # and the server goes on serving new connections
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(_get(b"/"))
                head, _ = read_response(sock)
                assert head.startswith(b"HTTP/1.1 500 ")
                assert b"injected" not in head.lower()
                assert sock.recv(1) == b""
