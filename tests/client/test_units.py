"""Pure parts of the client, table-driven: URLs, the cookie jar (RFC 6265), the cache's
freshness arithmetic (RFC 9111 §4.2 with an injected clock), bodies, decoders, proxies."""

from __future__ import annotations

import calendar
import gzip
import io
import zlib

import pytest

from crlf.client import URL, CookieJar, HTTPCache, InvalidURL
from crlf.client._content import encode_body, encode_multipart
from crlf.client._cookies import default_path, parse_cookie_date, path_match
from crlf.client._decoders import charset_from_content_type, decode_text, make_decoder
from crlf.client._proxy import ProxyConfig, proxies_from_env
from crlf.errors import DecodingError
from crlf.protocol import Headers

# ---------------------------------------------------------------------- URLs --


@pytest.mark.parametrize(
    ("url", "origin", "authority", "target"),
    [
        (
            "http://developer.mozilla.org/",
            ("http", "developer.mozilla.org", 80),
            b"developer.mozilla.org",
            b"/",
        ),
        ("http://Example.COM:8080", ("http", "example.com", 8080), b"example.com:8080", b"/"),
        ("https://h:443/a?b=c#frag", ("https", "h", 443), b"h", b"/a?b=c"),
        ("http://bücher.de/ñ", ("http", "xn--bcher-kva.de", 80), b"xn--bcher-kva.de", b"/%C3%B1"),
        ("http://[::1]:8000/x", ("http", "::1", 8000), b"[::1]:8000", b"/x"),
        ("http://h/a b", ("http", "h", 80), b"h", b"/a%20b"),
        ("http://h/%41?x=%zz", ("http", "h", 80), b"h", b"/%41?x=%zz"),
    ],
)
def test_url_parts(url: str, origin: tuple[str, str, int], authority: bytes, target: bytes) -> None:
    u = URL(url)
    assert u.origin == origin
    assert u.authority == authority
    assert u.target == target


@pytest.mark.parametrize(
    "url", ["ftp://h/", "http:///nohost", "http://h:99999/", "http://a b/", "notaurl"]
)
def test_invalid_urls(url: str) -> None:
    with pytest.raises(InvalidURL):
        URL(url)


def test_url_join_and_params() -> None:
    base = URL("http://h/a/b?x=1#f")
    assert base.join("../c").raw == "http://h/c"
    assert base.join("//other:81/p").origin == ("http", "other", 81)
    assert base.join("/d").fragment == "f"  # RFC 9110 §10.2.2
    assert (
        base.with_params({"y": [1, 2], "z": None, "t": True}).target
        == b"/a/b?x=1&y=1&y=2&z=&t=true"
    )


# -------------------------------------------------------------------- cookies --


def test_cookie_date_algorithm() -> None:
    expected = calendar.timegm((1994, 11, 6, 8, 49, 37, 0, 0, 0))
    for text in (
        b"Sun, 06 Nov 1994 08:49:37 GMT",
        b"Sunday, 06-Nov-94 08:49:37 GMT",
        b"Sun Nov  6 08:49:37 1994",
        b"6 nov 1994 08:49:37",
    ):
        assert parse_cookie_date(text) == expected
    assert parse_cookie_date(b"Sun, 32 Nov 1994 08:49:37 GMT") is None
    assert parse_cookie_date(b"garbage") is None


def test_cookie_paths() -> None:
    assert default_path("/a/b/c") == "/a/b"
    assert default_path("/a") == "/"
    assert path_match("/account/x", "/account")
    assert path_match("/account/", "/account/")
    assert not path_match("/accounting", "/account")


def test_cookie_domains_and_expiry() -> None:
    now = [1_600_000_000.0]
    jar = CookieJar(clock=lambda: now[0])
    u = URL("http://www.example.com/dir/page")
    jar.extract(
        u,
        [
            b"host=1",
            b"wide=2; Domain=.example.com; Path=/",
            b"tld=3; Domain=com",
            b"other=4; Domain=example.org",
            b"short=5; Max-Age=10",
            b"old=6; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
            b"noequals",
        ],
    )
    assert {c.name for c in jar} == {"host", "wide", "short"}
    assert jar.header_for(u) == b"host=1; short=5; wide=2"  # path /dir before / (§5.4)
    assert jar.header_for(URL("http://api.example.com/")) == b"wide=2"
    assert jar.header_for(URL("http://example.org/")) is None
    now[0] += 11
    assert jar.header_for(u) == b"host=1; wide=2"


def test_cookie_replacement_keeps_order_and_prefixes() -> None:
    jar = CookieJar()
    u = URL("https://h/")
    jar.extract(u, [b"a=1", b"b=2"])
    jar.extract(u, [b"a=3"])
    assert jar.header_for(u) == b"a=3; b=2"
    jar.extract(u, [b"__Host-x=1; Secure; Path=/", b"__Host-y=1; Path=/", b"__Secure-z=1"])
    assert jar.get("__Host-x") == "1"
    assert jar.get("__Host-y") is None
    assert jar.get("__Secure-z") is None
    assert jar.header_for(URL("http://h/")) == b"a=3; b=2"  # Secure cookies stay on https


# ---------------------------------------------------------------------- cache --

DATE = "Sat, 09 Oct 2010 14:28:02 GMT"
T0 = float(calendar.timegm((2010, 10, 9, 14, 28, 2, 0, 0, 0)))


def _store(cache: HTTPCache, headers: list[tuple[bytes, bytes]], status: int = 200) -> None:
    cache.store(
        URL("http://h/p"), Headers(), status, b"OK", b"1.1", Headers(headers), b"body", T0, T0
    )


@pytest.mark.parametrize(
    ("headers", "fresh_at", "stale_at"),
    [
        ([(b"Cache-Control", b"max-age=60")], 59, 61),
        ([(b"Date", DATE.encode()), (b"Expires", b"Sat, 09 Oct 2010 14:29:02 GMT")], 59, 61),
        ([(b"Date", DATE.encode()), (b"Age", b"50"), (b"Cache-Control", b"max-age=60")], 9, 11),
        ([(b"Date", DATE.encode()), (b"Last-Modified", b"Sat, 09 Oct 2010 14:18:02 GMT")], 59, 61),
    ],
)
def test_freshness_rfc9111_4_2(
    headers: list[tuple[bytes, bytes]], fresh_at: float, stale_at: float
) -> None:
    cache = HTTPCache(clock=lambda: T0)
    _store(cache, headers)
    entry = cache.lookup(URL("http://h/p"), Headers())
    assert entry is not None
    assert entry.is_fresh(T0 + fresh_at)
    assert not entry.is_fresh(T0 + stale_at)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Cache-Control", b"no-store")],
        [(b"Cache-Control", b"max-age=60"), (b"Vary", b"*")],
    ],
)
def test_not_stored(headers: list[tuple[bytes, bytes]]) -> None:
    cache = HTTPCache()
    _store(cache, headers)
    assert len(cache) == 0


def test_vary_selects_entry() -> None:
    cache = HTTPCache()
    url = URL("http://h/p")
    for lang in (b"fr", b"es"):
        cache.store(
            url,
            Headers([(b"Accept-Language", lang)]),
            200,
            b"",
            b"1.1",
            Headers([(b"Vary", b"Accept-Language"), (b"Cache-Control", b"max-age=9")]),
            lang,
            T0,
            T0,
        )
    hit = cache.lookup(url, Headers([(b"accept-language", b"es")]))
    assert hit is not None
    assert hit.body == b"es"
    assert cache.lookup(url, Headers([(b"accept-language", b"de")])) is None


# --------------------------------------------------------------------- bodies --


def test_body_encodings() -> None:
    form = encode_body(data={"a": "1 2", "b": ["x", "y"]})
    assert form is not None
    assert form.data == b"a=1+2&b=x&b=y"
    js = encode_body(json={"k": "ñ"})
    assert js is not None
    assert js.data == '{"k":"ñ"}'.encode()
    assert encode_body() is None
    with pytest.raises(TypeError):
        encode_body(content=b"x", json=1)
    f = io.BytesIO(b"0123456789")
    f.seek(2)
    body = encode_body(content=f)
    assert body is not None
    assert body.length == 8
    assert b"".join(body.chunks()) == b"23456789"
    assert b"".join(body.chunks()) == b"23456789"  # replayable for 307/308


def test_multipart_exact_bytes() -> None:
    body = encode_multipart({"a": "1"}, {"f": ("x.txt", b"hi", "text/plain")}, boundary="B")
    assert body.data == (
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhi\r\n--B--\r\n"
    )


# ------------------------------------------------------------------- decoders --


def test_decoders_streaming() -> None:
    data = b"abc" * 1000
    gz = gzip.compress(data) + gzip.compress(b"more")  # two gzip members are one body
    dec = make_decoder([b"gzip"])
    assert dec is not None
    out = b"".join(dec.decode(gz[i : i + 7]) for i in range(0, len(gz), 7)) + dec.flush()
    assert out == data + b"more"
    assert make_decoder([b"identity"]) is None
    with pytest.raises(DecodingError):
        make_decoder([b"compress"])
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(data) + raw.flush()
    dec = make_decoder([b"deflate"])
    assert dec is not None
    assert dec.decode(deflated) + dec.flush() == data


def test_charsets() -> None:
    assert charset_from_content_type(b'text/html; charset="UTF-8"') == "utf-8"
    assert charset_from_content_type(b"text/html; charset=nope") is None
    assert decode_text(b"\xef\xbb\xbfhola", None) == "hola"
    assert decode_text(b"\xe9", b"text/plain; charset=latin-1") == "é"
    assert decode_text(b"\xff", b"text/plain") == "\ufffd"


# -------------------------------------------------------------------- proxies --


def test_proxy_env_rules() -> None:
    cfg = proxies_from_env(
        {
            "http_proxy": "http://p:3128",
            "HTTPS_PROXY": "p2:8080",
            "NO_PROXY": ".internal,10.0.0.0/8,h:81",
        }
    )
    assert cfg.for_url(URL("http://a.example/")) is cfg.http
    assert cfg.https is not None
    assert cfg.https.url.authority == b"p2:8080"
    assert cfg.for_url(URL("http://x.internal/")) is None
    assert cfg.for_url(URL("http://10.1.2.3/")) is None
    assert cfg.for_url(URL("http://h:81/")) is None
    assert cfg.for_url(URL("http://h:82/")) is cfg.http
    # httpoxy: under CGI, HTTP_PROXY comes from the request's Proxy header and is ignored.
    assert proxies_from_env({"HTTP_PROXY": "http://evil:1", "REQUEST_METHOD": "GET"}).http is None
    assert not ProxyConfig()
