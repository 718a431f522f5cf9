"""The prepared responses of small files: answered from memory for ``revalidate_after`` seconds.

A fake clock stands in for ``time.monotonic`` so the window passes without sleeping.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from crlf.files import StaticFiles
from crlf.files import _app as app_module
from tests.files.conftest import OLD, make_site
from tests.files.serving import serve_app

if TYPE_CHECKING:
    from collections.abc import MutableMapping
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
