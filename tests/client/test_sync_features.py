"""Request building, redirects, cookies, cache and proxies against scripted servers that record
exactly what crossed the wire."""

from __future__ import annotations

import io
import json
import socket
import threading
import zlib
from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.client import CookieJar, HTTPCache

if TYPE_CHECKING:
    from collections.abc import Callable

    from .servers import Handler, Peer, ScriptedServer

    Serve = Callable[..., ScriptedServer]


def echo(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
    """Answer with a JSON description of the request."""
    payload = json.dumps(
        {"method": method, "target": target, "headers": headers, "body": body.decode("latin-1")}
    ).encode()
    peer.respond(200, payload, [("Content-Type", "application/json")])


def test_default_headers_and_seed_accept_language(serve: Serve) -> None:
    server = serve(echo)
    with crlf.Client(accept_language="fr") as client:
        got = client.get(server.url("/"), params={"q": "a b", "n": 1}).json()
    assert got["target"] == "/?q=a+b&n=1"
    assert got["headers"]["host"] == f"127.0.0.1:{server.port}"
    assert got["headers"]["user-agent"] == f"crlf/{crlf.__version__}"
    assert got["headers"]["accept-language"] == "fr"
    assert got["headers"]["accept-encoding"].startswith("gzip, deflate")


def test_user_headers_override_defaults(serve: Serve) -> None:
    server = serve(echo)
    with crlf.Client(headers={"User-Agent": "seed/1.0"}) as client:
        got = client.get(server.url(), headers={"Accept": "text/html", "X-Extra": "1"}).json()
    assert got["headers"]["user-agent"] == "seed/1.0"
    assert got["headers"]["accept"] == "text/html"
    assert got["headers"]["x-extra"] == "1"


def test_seed_form_post(serve: Serve) -> None:
    server = serve(echo)
    with crlf.Client() as client:
        got = client.post(
            server.url("/contact_form.php"),
            data={"name": "Juan Garcia", "request": "Envieme uno de sus catalogos"},
        ).json()
    assert got["method"] == "POST"
    assert got["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert got["body"] == "name=Juan+Garcia&request=Envieme+uno+de+sus+catalogos"
    assert got["headers"]["content-length"] == str(len(got["body"]))


def test_json_body(serve: Serve) -> None:
    server = serve(echo)
    with crlf.Client() as client:
        got = client.put(server.url(), json={"idioma": "español"}).json()
    assert got["headers"]["content-type"] == "application/json"
    assert json.loads(got["body"].encode("latin-1")) == {"idioma": "español"}


def test_multipart_with_file(serve: Serve) -> None:
    server = serve(echo)
    with crlf.Client() as client:
        got = client.post(
            server.url(),
            data={"name": "Juan"},
            files={"doc": ("carta.txt", io.BytesIO(b"Hola\r\n"), "text/plain")},
        ).json()
    ctype = got["headers"]["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    boundary = ctype.split("boundary=")[1]
    body = got["body"]
    assert body.startswith(f"--{boundary}\r\n")
    assert 'Content-Disposition: form-data; name="name"\r\n\r\nJuan\r\n' in body
    assert (
        'name="doc"; filename="carta.txt"\r\nContent-Type: text/plain\r\n\r\nHola\r\n\r\n' in body
    )
    assert body.endswith(f"--{boundary}--\r\n")
    assert int(got["headers"]["content-length"]) == len(body)


def test_streamed_upload_is_chunked(serve: Serve) -> None:
    server = serve(echo)

    def parts() -> object:
        yield b"uno,"
        yield b"dos,"
        yield b"tres"

    with crlf.Client() as client:
        got = client.post(server.url(), content=parts()).json()
    assert got["headers"]["transfer-encoding"] == "chunked"
    assert "content-length" not in got["headers"]
    assert got["body"] == "uno,dos,tres"


def test_expect_100_continue_for_large_bodies(serve: Serve) -> None:
    server = serve(echo)
    with crlf.Client(expect_continue_threshold=1000) as client:
        got = client.post(server.url(), content=b"x" * 5000).json()
        small = client.post(server.url(), content=b"x" * 10).json()
    assert got["headers"]["expect"] == "100-continue"
    assert len(got["body"]) == 5000
    assert "expect" not in small["headers"]


def test_expect_100_continue_refused_early(scripted: Callable[[Handler], ScriptedServer]) -> None:
    def refuse(peer: Peer) -> None:
        head = peer.read_head()
        assert head is not None
        peer.respond(413, b"too big", [("Connection", "close")], reason="Content Too Large")

    server = scripted(refuse)
    with crlf.Client(expect_continue_threshold=10) as client:
        r = client.post(server.url(), content=b"y" * 100_000)
    assert r.status_code == 413
    assert r.content == b"too big"


def _redirecting(
    status: int, location: str
) -> Callable[[Peer, str, str, dict[str, str], bytes], None]:
    def respond(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        if target == "/start":
            peer.respond(status, b"moved", [("Location", location)])
        else:
            echo(peer, method, target, headers, body)

    return respond


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "keeps_body"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (303, "HEAD", "HEAD", True),
        (301, "PUT", "PUT", True),
        (307, "POST", "POST", True),
        (308, "POST", "POST", True),
    ],
)
def test_redirect_methods_rfc9110_15_4(
    serve: Serve, status: int, method: str, expected_method: str, keeps_body: bool
) -> None:
    server = serve(_redirecting(status, "/end"))
    with crlf.Client() as client:
        r = client.request(method, server.url("/start"), content=b"payload")
    assert [h.status_code for h in r.history] == [status]
    last = server.requests[-1]
    assert last[1:3] == (expected_method, "/end")
    assert last[4] == (b"payload" if keeps_body else b"")
    if not keeps_body:
        assert "content-length" not in last[3] or last[3]["content-length"] == "0"


def test_cross_origin_redirect_drops_credentials(serve: Serve) -> None:
    other = serve(echo)
    server = serve(_redirecting(302, other.url("/there")))
    with crlf.Client() as client:
        r = client.get(
            server.url("/start"), headers={"Authorization": "Bearer s3cret", "X-Keep": "1"}
        )
    got = r.json()
    assert "authorization" not in got["headers"]
    assert got["headers"]["x-keep"] == "1"
    assert got["headers"]["host"] == f"127.0.0.1:{other.port}"
    first = server.requests[0][3]
    assert first["authorization"] == "Bearer s3cret"


def test_same_origin_redirect_keeps_authorization(serve: Serve) -> None:
    server = serve(_redirecting(302, "/there"))
    with crlf.Client() as client:
        got = client.get(server.url("/start"), auth=("juan", "garcia")).json()
    assert got["headers"]["authorization"] == "Basic anVhbjpnYXJjaWE="


def test_cookies_round_trip_rfc6265(serve: Serve) -> None:
    def respond(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        if target == "/login":
            peer.respond(
                200,
                b"hi",
                [
                    ("Set-Cookie", "session=abc; Path=/; HttpOnly"),
                    ("Set-Cookie", "scoped=1; Path=/account"),
                    ("Set-Cookie", "secure=1; Secure"),
                ],
            )
        elif target == "/logout":
            peer.respond(200, b"bye", [("Set-Cookie", "session=; Max-Age=0")])
        else:
            echo(peer, method, target, headers, body)

    server = serve(respond)
    with crlf.Client() as client:
        client.get(server.url("/login"))
        assert client.get(server.url("/")).json()["headers"]["cookie"] == "session=abc"
        account = client.get(server.url("/account/x")).json()["headers"]["cookie"]
        assert account == "scoped=1; session=abc"  # longer path first (RFC 6265 §5.4)
        client.get(server.url("/logout"))
        assert "cookie" not in client.get(server.url("/")).json()["headers"]
        assert client.cookies.get("secure") is None  # Secure from http: refused (6265bis)


def test_cookies_not_sent_to_other_hosts(serve: Serve) -> None:
    server = serve(lambda peer, m, t, h, b: peer.respond(200, b"", [("Set-Cookie", "a=1")]))
    jar = CookieJar()
    with crlf.Client(cookies=jar) as client:
        client.get(server.url())
    assert jar.get("a") == "1"
    assert [c.domain for c in jar] == ["127.0.0.1"]


def test_cache_revalidation_with_etag_and_last_modified(serve: Serve) -> None:
    def respond(peer: Peer, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        fields = [
            ("ETag", '"v1"'),
            ("Last-Modified", "Tue, 01 Dec 2009 20:18:22 GMT"),
            ("Cache-Control", "max-age=0"),
        ]
        if headers.get("if-none-match") == '"v1"':
            peer.respond(304, b"", [*fields, ("X-Revalidated", "yes")], reason="Not Modified")
        else:
            peer.respond(200, b"<!DOCTYPE html>cached page", fields)

    server = serve(respond)
    with crlf.Client(http_cache=HTTPCache()) as client:
        first = client.get(server.url("/page"))
        second = client.get(server.url("/page"))
    assert second.status_code == 200
    assert second.content == first.content == b"<!DOCTYPE html>cached page"
    assert second.from_cache
    assert second.headers["x-revalidated"] == "yes"
    sent = server.requests[1][3]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 01 Dec 2009 20:18:22 GMT"


def test_cache_invalidated_by_post(serve: Serve) -> None:
    server = serve(
        lambda peer, m, t, h, b: peer.respond(200, m.encode(), [("Cache-Control", "max-age=60")])
    )
    with crlf.Client(http_cache=True) as client:
        client.get(server.url("/r"))
        assert client.get(server.url("/r")).from_cache
        client.post(server.url("/r"), content=b"x")
        assert not client.get(server.url("/r")).from_cache
    assert [r[1] for r in server.requests] == ["GET", "POST", "GET"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "gzip, deflate"])
def test_content_encodings_decoded(serve: Serve, coding: str) -> None:
    text = "Códigos de estado de las respuestas. " * 50
    data = text.encode("utf-8")

    def compress(name: str, payload: bytes) -> bytes:
        if name == "gzip":
            c = zlib.compressobj(wbits=31)
        elif name == "deflate":
            c = zlib.compressobj(wbits=15)
        else:
            c = zlib.compressobj(wbits=-15)
        return c.compress(payload) + c.flush()

    body = data
    for name in coding.split(", "):
        body = compress(name, body)
    header = coding.replace("deflate-raw", "deflate")
    server = serve(
        lambda peer, m, t, h, b: peer.respond(
            200, body, [("Content-Encoding", header), ("Content-Type", "text/plain; charset=utf-8")]
        )
    )
    with crlf.Client() as client:
        r = client.get(server.url())
        assert r.text == text
        with client.stream("GET", server.url()) as streamed:
            assert b"".join(streamed.iter_bytes()) == data


def test_brotli_when_installed(serve: Serve) -> None:
    brotli = pytest.importorskip("brotli")
    body = brotli.compress(b"hola " * 100)
    server = serve(lambda peer, m, t, h, b: peer.respond(200, body, [("Content-Encoding", "br")]))
    with crlf.Client() as client:
        assert client.get(server.url()).content == b"hola " * 100


def test_charset_from_content_type(serve: Serve) -> None:
    server = serve(
        lambda peer, m, t, h, b: peer.respond(
            200, "Sesión".encode("iso-8859-1"), [("Content-Type", "text/html; charset=ISO-8859-1")]
        )
    )
    with crlf.Client() as client:
        r = client.get(server.url())
    assert r.encoding == "iso8859-1"
    assert r.text == "Sesión"


def _start_forward_proxy(serve: Serve) -> ScriptedServer:
    """A proxy that answers absolute-form requests itself, echoing what it received."""
    return serve(echo)


def test_http_proxy_absolute_form(serve: Serve) -> None:
    proxy = _start_forward_proxy(serve)
    with crlf.Client(proxy=f"http://user:pw@127.0.0.1:{proxy.port}") as client:
        got = client.get("http://example.invalid:8080/path?q=1").json()
        client.get("http://other.invalid/")
    assert got["target"] == "http://example.invalid:8080/path?q=1"
    assert got["headers"]["host"] == "example.invalid:8080"
    assert got["headers"]["proxy-authorization"] == "Basic dXNlcjpwdw=="
    assert proxy.connections == 1  # one pooled connection to the proxy serves every origin


def test_proxy_from_environment_and_no_proxy(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = _start_forward_proxy(serve)
    origin = serve(echo)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    with crlf.Client() as client:
        via = client.get("http://example.invalid/").json()
        direct = client.get(f"http://localhost:{origin.port}/direct").json()
    assert via["target"] == "http://example.invalid/"
    assert direct["target"] == "/direct"


def test_connect_tunnel_through_proxy(scripted: Callable[[Handler], ScriptedServer]) -> None:
    """CONNECT (RFC 9110 §9.3.6): the proxy relays bytes to a plain-TCP origin; the client
    then speaks TLS, so this origin is an https one made with the system's openssl."""
    pytest.importorskip("ssl")
    tls = pytest.importorskip("tests.client.tls")
    with tls.tls_server() as (origin_port, ca_file):

        def tunnel(peer: Peer) -> None:
            head = peer.read_head()
            assert head is not None
            method, _target, _, _ = head
            assert method == "CONNECT"
            upstream = socket.create_connection(("127.0.0.1", origin_port))
            peer.send(b"HTTP/1.1 200 Connection established\r\n\r\n")

            def pump(src: socket.socket, dst: socket.socket) -> None:
                try:
                    while data := src.recv(65536):
                        dst.sendall(data)
                except OSError:
                    pass
                finally:
                    for s in (src, dst):
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass

            t = threading.Thread(target=pump, args=(upstream, peer.sock), daemon=True)
            t.start()
            if peer.buf:
                upstream.sendall(peer.buf)
            pump(peer.sock, upstream)
            t.join(5)

        proxy = scripted(tunnel)
        with crlf.Client(proxy=f"http://127.0.0.1:{proxy.port}", verify=ca_file) as client:
            r = client.get(f"https://localhost:{origin_port}/secure")
        assert r.status_code == 200
        assert r.content == b"tls ok /secure"


def test_bodyless_post_says_content_length_zero(serve: Serve) -> None:
    # RFC 9110 §8.6: a POST without content should send Content-Length: 0 (servers answer 411
    # otherwise); the argument-less GET fast path must not leak that header to GETs or back.
    server = serve(echo)
    with crlf.Client() as client:
        client.get(server.url())
        client.post(server.url())
        client.get(server.url())
        client.put(server.url())
        client.delete(server.url())
    assert [(r[1], r[3].get("content-length")) for r in server.requests] == [
        ("GET", None),
        ("POST", "0"),
        ("GET", None),
        ("PUT", "0"),
        ("DELETE", None),
    ]
