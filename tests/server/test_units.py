"""Table tests for the pure parts: proxy headers, config, app loading, WSGI environ, TLS."""

from __future__ import annotations

import functools
import shutil
import ssl
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from crlf.server import Config
from crlf.server._http11 import split_target
from crlf.server._loading import AppLoadError, detect_interface, load_app
from crlf.server._proxy import Forwarded, TrustedProxies, resolve_forwarded
from crlf.server._transport import entry_point, error_response
from crlf.server._wsgi import build_environ
from tests.server.serving import hello_app, read_response, running

if TYPE_CHECKING:
    from pathlib import Path

TRUSTED = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        # Not from a trusted proxy: nothing is believed.
        ("203.0.113.9", [(b"x-forwarded-for", b"1.2.3.4")], Forwarded(None, None, None)),
        # No forwarding fields at all.
        ("127.0.0.1", [(b"host", b"a")], Forwarded(None, None, None)),
        # The rightmost untrusted hop is the client (nginx real_ip_recursive).
        (
            "127.0.0.1",
            [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4, 10.1.1.1")],
            Forwarded(("1.2.3.4", 0), None, None),
        ),
        # Every hop trusted: the leftmost.
        ("127.0.0.1", [(b"x-forwarded-for", b"10.0.0.2")], Forwarded(("10.0.0.2", 0), None, None)),
        (
            "10.2.3.4",
            [(b"x-forwarded-proto", b"https"), (b"x-forwarded-host", b"example.org")],
            Forwarded(None, "https", b"example.org"),
        ),
        ("127.0.0.1", [(b"x-forwarded-proto", b"javascript")], Forwarded(None, None, None)),
        ("127.0.0.1", [(b"x-forwarded-proto", b"wss")], Forwarded(None, "https", None)),
        # RFC 7239 Forwarded wins over X-Forwarded-*; quoted IPv6 with a port.
        (
            "127.0.0.1",
            [
                (b"x-forwarded-for", b"9.9.9.9"),
                (b"forwarded", b'for="[2001:db8::1]:4711";proto=https;host=seed.example'),
            ],
            Forwarded(("2001:db8::1", 4711), "https", b"seed.example"),
        ),
        (
            "127.0.0.1",
            [(b"forwarded", b"for=192.0.2.60;proto=http, for=10.0.0.7")],
            Forwarded(("192.0.2.60", 0), "http", None),
        ),
        # A Unix-socket peer (None) is trusted.
        (None, [(b"x-forwarded-for", b"1.2.3.4")], Forwarded(("1.2.3.4", 0), None, None)),
    ],
)
def test_resolve_forwarded(
    peer: str | None, headers: list[tuple[bytes, bytes]], expected: Forwarded
) -> None:
    assert resolve_forwarded(peer, headers, TRUSTED) == expected


def test_trust_everyone_and_names() -> None:
    assert "8.8.8.8" in TrustedProxies(["*"])
    assert "proxy.local" not in TRUSTED
    assert "10.255.0.1" in TRUSTED
    assert 5 not in TRUSTED


def test_proxy_headers_reach_the_scope() -> None:
    scopes: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scopes.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    with running(app) as server, server.connect() as sock:
        buf = bytearray()
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: inner\r\nX-Forwarded-For: 1.2.3.4\r\n"
            b"X-Forwarded-Proto: https\r\nX-Forwarded-Host: outer.example\r\n\r\n"
        )
        read_response(sock, buf)
        # The next request on the connection has no forwarded fields (and an h2c Upgrade the
        # app declines): each scope starts from the connection's own values again.
        sock.sendall(b"GET /b HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n")
        read_response(sock, buf)
    scope, second = scopes
    assert scope["client"] == ("1.2.3.4", 0)
    assert scope["scheme"] == "https"
    assert (b"host", b"outer.example") in scope["headers"]
    assert second["client"][0] == "127.0.0.1"
    assert (second["scheme"], second["path"]) == ("http", "/b")
    assert (b"host", b"t") in second["headers"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (b"/a/b?x=1", (b"/a/b", b"x=1")),
        (b"/a#frag", (b"/a", b"")),
        (b"http://h:80/p?q", (b"/p", b"q")),
        (b"http://h?q", (b"/", b"q")),
        (b"*", (b"*", b"")),
    ],
)
def test_split_target(target: bytes, expected: tuple[bytes, bytes]) -> None:
    assert split_target(target) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": 70000}, "port"),
        ({"workers": 0}, "workers"),
        ({"loop": "trio"}, "loop"),
        ({"interface": "asgi2"}, "interface"),
        ({"lifespan": "maybe"}, "lifespan"),
        ({"log_level": "loud"}, "log_level"),
        ({"timeout_keep_alive": 0}, "timeout_keep_alive"),
        ({"max_requests_per_connection": 0}, "max_requests_per_connection"),
        ({"limit_concurrency": 0}, "limit_concurrency"),
        ({"root_path": "api/"}, "root_path"),
        ({"uds": "/tmp/x", "fd": 3}, "uds"),
        ({"ssl_keyfile": "k.pem"}, "ssl_keyfile"),
    ],
)
def test_config_rejects(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Config(**options)


def test_config_defaults() -> None:
    config = Config()
    assert (config.host, config.port, config.timeout_keep_alive) == ("127.0.0.1", 8000, 5.0)
    assert config.trusted_proxies() == ["127.0.0.1"]
    assert Config(forwarded_allow_ips="a, b,").trusted_proxies() == ["a", "b"]
    assert not config.is_ssl
    assert config.log_level_number == 20


def test_load_app_and_detect_interface(tmp_path: Path) -> None:
    (tmp_path / "mod_for_loading.py").write_text(
        "class Holder:\n"
        "    async def app(self, scope, receive, send): pass\n"
        "holder = Holder()\n"
        "def wsgi(environ, start_response): return []\n"
        "def factory():\n"
        "    return wsgi\n"
        "value = 3\n"
    )
    assert load_app("mod_for_loading:holder.app", app_dir=str(tmp_path)) is not None
    assert load_app("mod_for_loading:factory", app_dir=str(tmp_path), factory=True).__name__ == (
        "wsgi"
    )
    assert detect_interface(load_app("mod_for_loading:wsgi")) == "wsgi"
    assert detect_interface(hello_app) == "asgi3"
    for spec, message in [
        ("nocolon", "<module>:<attribute>"),
        ("mod_for_loading:missing", "has no attribute"),
        ("mod_for_loading:value", "not callable"),
        ("no_such_module_x:app", "could not import"),
    ]:
        with pytest.raises(AppLoadError, match=message):
            load_app(spec)
    sys.modules.pop("mod_for_loading", None)


def test_wsgi_environ() -> None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/app/caf\u00e9",
        "raw_path": b"/app/caf%C3%A9",
        "root_path": "/app",
        "query_string": b"a=1",
        "http_version": "1.0",
        "scheme": "https",
        "server": ("127.0.0.1", 8000),
        "client": ("10.0.0.1", 5000),
        "headers": [
            (b"content-type", b"text/plain"),
            (b"content-length", b"3"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"x-a", b"1"),
            (b"x-a", b"2"),
            (b"x_evil", b"smuggled"),
        ],
    }
    environ = build_environ(scope, None, multiprocess=False)
    assert environ["SCRIPT_NAME"] == "/app"
    assert environ["PATH_INFO"] == "/caf\u00c3\u00a9"  # PEP 3333: bytes as latin-1
    assert environ["QUERY_STRING"] == "a=1"
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert environ["wsgi.url_scheme"] == "https"
    assert environ["CONTENT_TYPE"] == "text/plain"
    assert environ["CONTENT_LENGTH"] == "3"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["HTTP_X_A"] == "1,2"
    assert "HTTP_X_EVIL" not in environ
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("10.0.0.1", "5000")


def test_error_response_is_fixed_text() -> None:
    data = error_response(431, b"Thu, 01 Jan 2026 00:00:00 GMT", b"crlf")
    assert data.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert data.endswith(b"\r\n\r\n431 Request Header Fields Too Large\n")
    assert error_response(400, head_only=True).endswith(b"connection: close\r\n\r\n")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    scopes: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scopes.append(scope)
        await hello_app(scope, receive, send)

    context = ssl.create_default_context(cafile=str(cert))
    with (
        running(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as server,
        server.connect() as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        assert sock.selected_alpn_protocol() in (None, "http/1.1")
        sock.sendall(b"GET /tls HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock)[1] == b"hello /tls"
    assert scopes[0]["scheme"] == "https"


def test_wsgi_input_stream_reads_lines_and_sizes() -> None:
    from crlf.server._wsgi import WSGIAdapter

    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen["first"] = stream.readline()
        seen["sized"] = stream.readline(3)
        seen["read2"] = stream.read(2)
        seen["lines"] = stream.readlines()
        seen["rest"] = stream.read()
        write = start_response("201 Created", [("X-A", "b")])
        write(b"w")
        return [b"", b"x", b"y"]

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        adapter = WSGIAdapter(app, pool, multiprocess=False)
        with running(adapter) as server, server.connect() as sock:
            body = b"line one\nabcdef\nthird\nlast"
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:5], body[5:]))
                + b"0\r\n\r\n"
            )
            data = b""
            while not data.endswith(b"0\r\n\r\n"):
                chunk = sock.recv(65536)
                assert chunk
                data += chunk
    assert data.startswith(b"HTTP/1.1 201 Created")
    assert b"x-a: b" in data
    assert seen == {
        "first": b"line one\n",
        "sized": b"abc",
        "read2": b"de",
        "lines": [b"f\n", b"third\n", b"last"],
        "rest": b"",
    }


class _App:
    async def __call__(self, scope: Any, receive: Any, send: Any) -> str:
        return "class"


class _Inherited(_App):
    pass


async def _function_app(scope: Any, receive: Any, send: Any) -> str:
    return "function"


def _run(call: Any) -> str:
    coro = call({}, None, None)
    try:
        coro.send(None)
    except StopIteration as stop:
        return str(stop.value)
    raise AssertionError("the app did not finish")  # pragma: no cover


def test_entry_point_binds_the_class_call_once() -> None:
    app = _App()
    entry = entry_point(app)
    assert entry is not app
    assert entry.__self__ is app
    assert entry.__func__ is _App.__call__
    assert _run(entry) == "class"
    # Inherited: the first __call__ in the MRO, as the implicit call finds it.
    inherited = _Inherited()
    assert entry_point(inherited).__func__ is _App.__call__
    # An instance attribute named __call__ is not what calling the instance runs.
    shadowed = _App()
    shadowed.__call__ = _function_app  # type: ignore[method-assign]
    assert _run(entry_point(shadowed)) == _run(shadowed) == "class"
    # Functions, bound methods and classes are called as they are; so is a callable whose
    # __call__ is not a Python function (a partial).
    assert entry_point(_function_app) is _function_app
    bound = _App().__call__
    assert entry_point(bound) is bound
    assert entry_point(_App) is _App
    partial = functools.partial(_function_app)
    assert entry_point(partial) is partial
