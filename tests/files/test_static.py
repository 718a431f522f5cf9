"""StaticFiles end to end over real sockets (httpx and raw bytes): methods, validators,
conditional requests, ranges, negotiation, directories, redirects, custom 404, safety."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.files.conftest import BIG_SIZE, OLD, SECRET, Site, make_site, raw_request
from tests.files.serving import serve_app, server_name

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping
    from pathlib import Path

IDENTITY = {"accept-encoding": "identity"}


@pytest.fixture(scope="module")
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, headers=IDENTITY, timeout=10) as c:
        yield c


# -- methods -------------------------------------------------------------------------------------


def test_get_file_has_validators_and_headers(client: httpx.Client, site: Site) -> None:
    r = client.get("/hello.txt")
    assert r.status_code == 200
    assert r.content == (site.root / "hello.txt").read_bytes()
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', r.headers["etag"])  # strong
    assert r.headers["last-modified"] == "Sun, 13 Sep 2020 12:26:40 GMT"
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == str(len(r.content))
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-cache"
    assert "content-encoding" not in r.headers


def test_head_has_the_same_headers_and_no_body(client: httpx.Client) -> None:
    get = client.get("/hello.txt")
    head = client.head("/hello.txt")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "content-length", "content-type", "accept-ranges"):
        assert head.headers[name] == get.headers[name]


def test_options_answers_allow(client: httpx.Client) -> None:
    r = client.options("/hello.txt")
    assert r.status_code == 200
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    assert r.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "BREW"])
def test_other_methods_are_405_with_allow(client: httpx.Client, method: str) -> None:
    if method == "BREW" and server_name() != "crlf":
        pytest.skip("uvicorn's parser refuses unknown methods before the app")
    r = client.request(method, "/hello.txt", content=b"x")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/style.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/image.png", "image/png"),
        ("/big.bin", "application/octet-stream"),
        ("/index.html", "text/html; charset=utf-8"),
    ],
)
def test_content_type_from_the_private_table(
    client: httpx.Client, path: str, content_type: str
) -> None:
    r = client.head(path)
    assert r.headers["content-type"] == content_type


# -- conditional requests (RFC 9110 §13) ---------------------------------------------------------


def test_if_none_match_304_carries_validators_and_caching_fields(client: httpx.Client) -> None:
    first = client.get("/index.html", headers={"accept-language": "fr"})
    r = client.get(
        "/index.html", headers={"accept-language": "fr", "if-none-match": first.headers["etag"]}
    )
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == first.headers["etag"]
    assert r.headers["last-modified"] == first.headers["last-modified"]
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["vary"] == first.headers["vary"]
    assert "content-length" not in r.headers or r.headers["content-length"] == "0"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"if-none-match": "{etag}"}, 304),
        ({"if-none-match": "W/{etag}"}, 304),  # weak comparison
        ({"if-none-match": '"other", {etag}'}, 304),
        ({"if-none-match": "*"}, 304),
        ({"if-none-match": '"other"'}, 200),
        ({"if-modified-since": "{lm}"}, 304),
        ({"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200),
        ({"if-modified-since": "not a date"}, 200),
        # If-None-Match beats If-Modified-Since (RFC 9110 §13.2.2)
        ({"if-none-match": '"other"', "if-modified-since": "{lm}"}, 200),
        ({"if-match": "{etag}"}, 200),
        ({"if-match": "*"}, 200),
        ({"if-match": '"stale"'}, 412),
        ({"if-match": "W/{etag}"}, 412),  # strong comparison
        ({"if-unmodified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 412),
        ({"if-unmodified-since": "{lm}"}, 200),
        ({"if-match": "{etag}", "if-unmodified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200),
    ],
)
def test_preconditions(client: httpx.Client, headers: dict[str, str], status: int) -> None:
    first = client.get("/hello.txt")
    filled = {
        k: v.format(etag=first.headers["etag"], lm=first.headers["last-modified"])
        for k, v in headers.items()
    }
    assert client.get("/hello.txt", headers=filled).status_code == status
    assert client.head("/hello.txt", headers=filled).status_code == status


# -- ranges (RFC 9110 §14) -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/hello.txt", "/big.bin"])
@pytest.mark.parametrize(
    ("spec", "expected"),
    [("0-99", (0, 99)), ("100-", None), ("-100", None), ("5-5", (5, 5)), ("0-999999999", None)],
)
def test_single_range(
    client: httpx.Client, site: Site, path: str, spec: str, expected: tuple[int, int] | None
) -> None:
    data = (site.root / path.lstrip("/")).read_bytes()
    size = len(data)
    if expected is None:
        first, _, last = spec.partition("-")
        if not first:
            expected = (size - int(last), size - 1)
        else:
            expected = (int(first), min(int(last), size - 1) if last else size - 1)
    r = client.get(path, headers={"range": f"bytes={spec}"})
    assert r.status_code == 206
    start, end = expected
    assert r.headers["content-range"] == f"bytes {start}-{end}/{size}"
    assert r.content == data[start : end + 1]
    assert r.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize("path", ["/hello.txt", "/big.bin"])
def test_unsatisfiable_range_is_416(client: httpx.Client, site: Site, path: str) -> None:
    size = (site.root / path.lstrip("/")).stat().st_size
    r = client.get(path, headers={"range": f"bytes={size + 10}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{size}"


def test_invalid_range_is_ignored(client: httpx.Client) -> None:
    for value in ("bytes=abc", "pages=1-2", "bytes=5-1"):
        assert client.get("/hello.txt", headers={"range": value}).status_code == 200


def _multipart(r: httpx.Response) -> list[tuple[dict[str, str], bytes]]:
    match = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", r.headers["content-type"])
    assert match is not None
    boundary = match.group(1).encode()
    body = r.content
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    parts = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, payload = chunk.partition(b"\r\n\r\n")
        fields = dict(
            line.decode().lower().split(": ", 1) for line in head.strip(b"\r\n").split(b"\r\n")
        )
        assert payload.endswith(b"\r\n")
        parts.append((fields, payload[:-2]))
    return parts


@pytest.mark.parametrize("path", ["/hello.txt", "/big.bin"])
def test_several_ranges_are_multipart_byteranges(
    client: httpx.Client, site: Site, path: str
) -> None:
    data = (site.root / path.lstrip("/")).read_bytes()
    # Far enough apart not to be coalesced (crlf.semantics.ranges.COALESCE_GAP).
    r = client.get(path, headers={"range": "bytes=0-9,500-509,-5"})
    assert r.status_code == 206
    assert r.headers["content-length"] == str(len(r.content))
    parts = _multipart(r)
    size = len(data)
    assert [p[1] for p in parts] == [data[0:10], data[500:510], data[-5:]]
    assert [p[0]["content-range"] for p in parts] == [
        f"bytes 0-9/{size}",
        f"bytes 500-509/{size}",
        f"bytes {size - 5}-{size - 1}/{size}",
    ]
    expected_type = (
        "text/plain; charset=utf-8" if path.endswith(".txt") else "application/octet-stream"
    )
    assert all(p[0]["content-type"] == expected_type for p in parts)


def test_overlapping_ranges_are_coalesced(client: httpx.Client, site: Site) -> None:
    data = (site.root / "hello.txt").read_bytes()
    r = client.get("/hello.txt", headers={"range": "bytes=0-9,5-20,0-"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert r.content == data


def test_if_range(client: httpx.Client) -> None:
    first = client.get("/hello.txt")
    etag, lm = first.headers["etag"], first.headers["last-modified"]
    assert (
        client.get("/hello.txt", headers={"range": "bytes=0-9", "if-range": etag}).status_code
        == 206
    )
    assert (
        client.get("/hello.txt", headers={"range": "bytes=0-9", "if-range": lm}).status_code == 206
    )
    stale = client.get("/hello.txt", headers={"range": "bytes=0-9", "if-range": '"stale"'})
    assert stale.status_code == 200
    assert stale.content == first.content
    weak = client.get("/hello.txt", headers={"range": "bytes=0-9", "if-range": "W/" + etag})
    assert weak.status_code == 200
    old = client.get(
        "/hello.txt", headers={"range": "bytes=0-9", "if-range": "Mon, 01 Jan 2001 00:00:00 GMT"}
    )
    assert old.status_code == 200


def test_head_ignores_range(client: httpx.Client) -> None:
    r = client.head("/hello.txt", headers={"range": "bytes=0-9"})
    assert r.status_code == 200


def test_too_many_ranges_do_not_multiply_the_work(client: httpx.Client, site: Site) -> None:
    spec = ",".join(f"{i}-{i}" for i in range(0, 1000, 2))
    r = client.get("/hello.txt", headers={"range": f"bytes={spec}"})
    # Either refused (416/200) or capped: never a thousand parts.
    assert r.status_code in (200, 206, 416)
    if r.status_code == 206:
        assert r.content.count(b"Content-Range") <= 100


# -- negotiation (RFC 9110 §12) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "title", "language"),
    [
        (None, "en", "en"),
        ("fr", "fr", "fr"),
        ("fr-CA", "fr", "fr"),
        ("es-MX, fr;q=0.5", "es", "es"),
        ("de, fr;q=0.2, es;q=0.3", "es", "es"),
        ("de", "en", "en"),  # nothing matches: the default language, never 406
        ("*", "en", "en"),
        ("fr;q=0, en;q=0.1", "en", "en"),
    ],
)
def test_accept_language_selects_the_variant(
    client: httpx.Client, accept_language: str | None, title: str, language: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    for path in ("/", "/index.html"):
        r = client.get(path, headers=headers)
        assert r.status_code == 200
        assert f"<title>{title}</title>" in r.text
        assert r.headers["content-language"] == language
        assert "accept-language" in r.headers["vary"].lower()


def test_variants_have_distinct_etags(client: httpx.Client) -> None:
    tags = {
        client.get("/", headers={"accept-language": lang}).headers["etag"]
        for lang in ("en", "fr", "es")
    }
    assert len(tags) == 3


def test_a_variant_by_its_own_name_is_not_negotiated(client: httpx.Client) -> None:
    r = client.get("/index.fr.html", headers={"accept-language": "es"})
    assert "<title>fr</title>" in r.text
    assert "accept-language" not in r.headers.get("vary", "").lower()


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip", "gzip"),
        ("br, gzip", "br"),
        ("gzip, br;q=0.5", "gzip"),
        ("identity", None),
        ("br;q=0, gzip;q=0", None),
    ],
)
def test_precompressed_siblings(
    client: httpx.Client, site: Site, accept_encoding: str, coding: str | None
) -> None:
    request = client.build_request("GET", "/app.js", headers={"accept-encoding": accept_encoding})
    r = client.send(request, stream=True)
    raw = b"".join(r.iter_raw())  # the bytes as sent, not decoded
    r.close()
    assert r.status_code == 200
    assert "accept-encoding" in r.headers["vary"].lower()
    assert r.headers.get("content-encoding") == coding
    suffix = {"gzip": ".gz", "br": ".br", None: ""}[coding]
    assert raw == (site.root / ("app.js" + suffix)).read_bytes()


def test_precompressed_and_identity_etags_differ(client: httpx.Client) -> None:
    a = client.head("/style.css", headers={"accept-encoding": "gzip"})
    b = client.head("/style.css", headers={"accept-encoding": "identity"})
    assert a.headers["content-encoding"] == "gzip"
    assert a.headers["etag"] != b.headers["etag"]


def test_gzip_on_the_fly(site: Site) -> None:
    with httpx.Client(base_url=site.url) as c:  # httpx asks for gzip and decodes it
        r = c.get("/hello.txt")
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["vary"].lower() == "accept-encoding"
        assert r.content == (site.root / "hello.txt").read_bytes()
        assert int(r.headers["content-length"]) < len(r.content)
        identity = c.get("/hello.txt", headers=IDENTITY)
        assert identity.headers["etag"] != r.headers["etag"]
        # Not compressible, or below the threshold: identity.
        assert "content-encoding" not in c.get("/image.png").headers
        again = c.get(
            "/hello.txt", headers={"if-none-match": r.headers["etag"], "accept-encoding": "gzip"}
        )
        assert again.status_code == 304


def test_gzip_on_the_fly_ranges_apply_to_the_compressed_bytes(site: Site) -> None:
    with httpx.Client(base_url=site.url) as c:
        full = c.get("/hello.txt", headers={"accept-encoding": "gzip"})
        compressed = gzip.compress((site.root / "hello.txt").read_bytes(), 6, mtime=0)
        r = c.send(
            c.build_request(
                "GET", "/hello.txt", headers={"accept-encoding": "gzip", "range": "bytes=0-9"}
            ),
            stream=True,
        )
        assert r.status_code == 206
        assert b"".join(r.iter_raw()) == compressed[:10]
        assert int(full.headers["content-length"]) == len(compressed)


# -- directories, redirects, 404 -----------------------------------------------------------------


def test_directory_without_slash_is_301(client: httpx.Client) -> None:
    r = client.get("/sub")
    assert r.status_code == 301
    assert r.headers["location"] == "/sub/"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<a href="/sub/">' in r.text
    assert client.get("/sub?x=1").headers["location"] == "/sub/?x=1"


def test_directory_index(client: httpx.Client) -> None:
    r = client.get("/sub/")
    assert r.status_code == 200
    assert "<title>sub</title>" in r.text


def test_directory_without_index_is_404_without_listing(client: httpx.Client) -> None:
    r = client.get("/noindex/")
    assert r.status_code == 404
    assert "Custom not found" in r.text


def test_listing_escapes_names_and_hides_dotfiles(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    root, _ = make_site(tmp_path)
    with serve_app(StaticFiles(root, listing=True)) as url, httpx.Client(base_url=url) as c:
        r = c.get("/noindex/")
        assert r.status_code == 200
        assert "a&lt;b&gt;&amp;.txt" in r.text
        assert 'href="./a%3Cb%3E%26.txt"' in r.text
        assert ".hidden" not in r.text
        assert c.get("/noindex/a%3Cb%3E%26.txt").content == b"escaped\n"


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/old", 301, "/hello.txt"),
        ("/temp", 302, "/hello.txt"),
        ("/see", 303, "/hello.txt"),
        ("/tmp", 307, "/hello.txt"),
        ("/perm", 308, "/hello.txt"),
        ("/blog/page.html", 302, "/sub/page.html"),
    ],
)
def test_redirects_file(client: httpx.Client, path: str, status: int, location: str) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["location"] == location
    assert f'<a href="{location}">' in r.text
    assert r.headers["content-length"] == str(len(r.content))


def test_redirects_file_is_not_served(client: httpx.Client) -> None:
    assert client.get("/_redirects").status_code == 404


def test_custom_404_negotiated(client: httpx.Client) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert "Custom not found" in r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    fr = client.get("/no/such/page", headers={"accept-language": "fr"})
    assert fr.status_code == 404
    assert "Introuvable" in fr.text
    assert fr.headers["content-language"] == "fr"
    assert client.head("/missing").content == b""


def test_plain_404_without_a_custom_page(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    (tmp_path / "a.txt").write_text("a")
    with serve_app(StaticFiles(tmp_path)) as url:
        r = httpx.get(url + "/missing")
        assert r.status_code == 404
        assert "Not Found" in r.text


# -- safety --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        b"/../outside/secret.txt",
        b"/%2e%2e/outside/secret.txt",
        b"/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        b"/..%2foutside%2fsecret.txt",
        b"/..%5coutside%5csecret.txt",
        b"/..\\outside\\secret.txt",
        b"/link-out.txt",
        b"/dir-out/secret.txt",
        b"/.env",
        b"/.git/config",
        b"/%2eenv",
        b"/hello.txt%00.png",
        b"/../root-other/secret.txt",
        b"//outside/secret.txt",
        b"/loop",
        b"/loop/x",
        b"/loop-a",
        b"/loop-b/",
        b"/" + b"n" * 300,  # a name too long for the file system
    ],
)
def test_nothing_outside_the_root(site: Site, target: bytes) -> None:
    response = raw_request(
        site.url, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    status = int(response.split(b" ", 2)[1])
    assert status in (400, 404)
    assert SECRET not in response


def test_symlink_inside_is_served(client: httpx.Client) -> None:
    assert client.get("/link-in.txt").status_code == 200


def test_symlinks_outside_when_allowed(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    root, _ = make_site(tmp_path)
    with serve_app(StaticFiles(root, follow_symlinks_outside=True)) as url:
        assert httpx.get(url + "/link-out.txt").content == SECRET
        assert httpx.get(url + "/.env").status_code == 404  # dotfiles still hidden


def test_dotfiles_when_allowed(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    root, _ = make_site(tmp_path)
    with serve_app(StaticFiles(root, allow_dotfiles=True)) as url:
        assert httpx.get(url + "/.env").status_code == 200
        assert httpx.get(url + "/%2e%2e/outside/secret.txt").status_code == 404


# -- cache and large files -----------------------------------------------------------------------


def test_cache_revalidates_on_change(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    path = tmp_path / "f.txt"
    path.write_bytes(b"version one")
    os.utime(path, (OLD, OLD))
    # Revalidated on every request (the window of the prepared responses is tested in
    # test_prepared.py).
    app = StaticFiles(tmp_path, revalidate_after=0)
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        first = c.get("/f.txt")
        assert first.content == b"version one"
        assert len(app.cache) == 1
        path.write_bytes(b"version two!")
        os.utime(path, (OLD + 10, OLD + 10))
        second = c.get("/f.txt")
        assert second.content == b"version two!"
        assert second.headers["etag"] != first.headers["etag"]
        assert c.get("/f.txt", headers={"if-none-match": first.headers["etag"]}).status_code == 200


def test_cache_is_bounded(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    for i in range(20):
        p = tmp_path / f"{i}.bin"
        p.write_bytes(bytes([i]) * 1000)
        os.utime(p, (OLD, OLD))
    app = StaticFiles(tmp_path, cache_max_bytes=5000)
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        for i in range(20):
            assert c.get(f"/{i}.bin").content == bytes([i]) * 1000
    assert app.cache.size <= 5000
    assert len(app.cache) == 5


def test_large_file_streams_whole(client: httpx.Client, site: Site) -> None:
    with client.stream("GET", "/big.bin") as r:
        assert r.status_code == 200
        assert r.headers["content-length"] == str(BIG_SIZE)
        body = b"".join(r.iter_bytes())
    assert body == (site.root / "big.bin").read_bytes()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_large_file_and_ranges_go_zero_copy_on_both_loops(tmp_path: Path, loop: str) -> None:
    """10 MiB whole (pathsend), one range and two ranges (zerocopy), HEAD and 304 (no body)."""
    if server_name() != "crlf":
        pytest.skip("only crlf's server offers pathsend and zerocopy here")
    from crlf.files import StaticFiles

    data = os.urandom(10 * 1024 * 1024)
    (tmp_path / "ten.bin").write_bytes(data)
    inner = StaticFiles(tmp_path)
    kinds: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def recording_send(message: Any) -> None:
            kinds.append(message["type"])
            await send(message)

        await inner(scope, receive, recording_send)

    with serve_app(app, loop) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        r = c.get("/ten.bin")
        assert r.status_code == 200
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(data).digest()
        assert kinds == ["http.response.start", "http.response.pathsend"]
        kinds.clear()
        r = c.get("/ten.bin", headers={"range": "bytes=1000000-8999999"})
        assert r.status_code == 206
        assert r.headers["content-range"] == f"bytes 1000000-8999999/{len(data)}"
        assert r.content == data[1000000:9000000]
        assert kinds == ["http.response.start", "http.response.zerocopy"]
        kinds.clear()
        r = c.get("/ten.bin", headers={"range": "bytes=10-19,-5000000"})
        assert r.status_code == 206
        boundary = r.headers["content-type"].split("boundary=")[1].encode()
        parts = r.content.split(b"--" + boundary)
        assert parts[1].endswith(b"\r\n\r\n" + data[10:20] + b"\r\n")
        assert parts[2].endswith(b"\r\n\r\n" + data[-5000000:] + b"\r\n")
        assert parts[3] == b"--\r\n"
        assert kinds.count("http.response.zerocopy") == 2
        assert kinds.count("http.response.body") == 3  # two part heads, the closing delimiter
        r = c.head("/ten.bin")
        assert r.status_code == 200
        assert r.headers["content-length"] == str(len(data))
        assert r.content == b""
        r = c.get("/ten.bin", headers={"if-none-match": r.headers["etag"]})
        assert r.status_code == 304
        assert r.content == b""
        # And the connection is still good for a whole file after all that.
        assert c.get("/ten.bin").content == data


# -- changes on disk, and the other ASGI scopes --------------------------------------------------


def test_changes_on_disk_are_seen_at_once(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    root, _ = make_site(tmp_path)
    app = StaticFiles(root, revalidate_after=0)  # the default 1 s window: see test_prepared.py
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        assert "<title>en</title>" in c.get("/", headers={"accept-language": "de"}).text
        assert c.get("/new-rule").status_code == 404
        # A new variant, and a new redirect rule: no restart, no stale cache.
        (root / "index.de.html").write_bytes(b"<!DOCTYPE html><title>de</title>\n")
        redirects = root / "_redirects"
        redirects.write_bytes(redirects.read_bytes() + b"/new-rule /hello.txt 307\n")
        assert "<title>de</title>" in c.get("/", headers={"accept-language": "de"}).text
        r = c.get("/new-rule")
        assert r.status_code == 307
        assert r.headers["location"] == "/hello.txt"
        # A file turned into a symbolic link to outside the root is refused from then on.
        assert c.get("/sub/page.html").status_code == 200
        (root / "sub" / "page.html").unlink()
        (root / "sub" / "page.html").symlink_to(tmp_path / "outside" / "secret.txt")
        assert c.get("/sub/page.html").status_code == 404
        # A bad edit of _redirects keeps the old rules.
        redirects.write_bytes(b"/broken\n")
        assert c.get("/new-rule").status_code == 307


def test_lifespan_and_websocket_scopes(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    app = StaticFiles(tmp_path)
    sent: list[MutableMapping[str, Any]] = []

    async def run(scope: dict[str, Any], incoming: list[MutableMapping[str, Any]]) -> None:
        async def receive() -> MutableMapping[str, Any]:
            return incoming.pop(0)

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)

    asyncio.run(
        run({"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    asyncio.run(run({"type": "websocket", "path": "/"}, [{"type": "websocket.connect"}]))
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_options_asterisk(site: Site) -> None:
    response = raw_request(site.url, b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nallow: get, head, options\r\n" in response.lower()


def test_mounted_in_starlette(tmp_path: Path) -> None:
    """Under Starlette's Mount the path keeps the prefix and root_path names it (ASGI 3)."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from crlf.files import StaticFiles

    root, _ = make_site(tmp_path)
    app = Starlette(routes=[Mount("/static", app=StaticFiles(root))])
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        r = c.get("/static/hello.txt")
        assert r.status_code == 200
        assert r.content == (root / "hello.txt").read_bytes()
        moved = c.get("/static/sub")
        assert moved.status_code == 301
        assert moved.headers["location"] == "/static/sub/"
        assert "<title>sub</title>" in c.get("/static/sub/").text
        assert c.get("/static/%2e%2e/outside/secret.txt").status_code == 404
        assert (
            c.get("/static/", headers={"accept-language": "fr"}).headers["content-language"] == "fr"
        )


def test_without_the_cache(tmp_path: Path) -> None:
    from crlf.files import StaticFiles

    root, _ = make_site(tmp_path)
    app = StaticFiles(root, cache_max_bytes=0)
    with serve_app(app) as url, httpx.Client(base_url=url, headers=IDENTITY) as c:
        for path in ("/hello.txt", "/big.bin", "/"):
            r = c.get(path)
            assert r.status_code == 200
        assert (
            c.get("/hello.txt", headers={"range": "bytes=1-3"}).content
            == (root / "hello.txt").read_bytes()[1:4]
        )
    assert len(app.cache) == 0
