"""The demo replays the seed's session end to end, over real sockets (httpx, raw bytes, websockets)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest

from crlf.files.demo import DemoApp
from tests.files.serving import run_cli, serve_app

if TYPE_CHECKING:
    from collections.abc import Iterator

SEED_FORM = b"name=Juan%20Garcia&request=Envieme%20uno%20de%20sus%20catalogos"


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    with serve_app(DemoApp()) as url:
        yield url


@pytest.fixture
def client(demo: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo, timeout=10) as c:
        yield c


@pytest.mark.parametrize(
    ("accept_language", "language", "title"),
    [
        (None, "en", "A typical HTTP session"),
        ("fr", "fr", "Une session HTTP typique"),
        ("es", "es", "Una típica sesión de HTTP"),
        ("fr-CA, en;q=0.5", "fr", "Une session HTTP typique"),
        ("es-MX,es;q=0.9", "es", "Una típica sesión de HTTP"),
        ("de", "en", "A typical HTTP session"),
    ],
)
def test_home_page_in_three_languages(
    client: httpx.Client, accept_language: str | None, language: str, title: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    r = client.get("/", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-language"] == language
    assert "accept-language" in r.headers["vary"].lower()
    assert f"<h1>{title}</h1>" in r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    for name in ("etag", "last-modified", "accept-ranges", "content-length", "date", "server"):
        assert name in r.headers


def test_the_seeds_get_request_as_raw_bytes(demo: str) -> None:
    """The seed's first request, byte for byte: no Content-Length, so the head ends the request."""
    host, port = demo.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"GET / HTTP/1.1\r\nHost: developer.mozilla.org\r\nAccept-Language: fr\r\n\r\n"
        )
        data = b""
        while b"</html>" not in data:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 200 OK\r\n")
    assert re.search(r"(?im)^content-language: fr\r?$", head)
    assert re.search(r"(?im)^etag: \"", head)


def test_the_seeds_form_post(client: httpx.Client) -> None:
    r = client.post(
        "/contact_form.php",
        content=SEED_FORM,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    # The seed says Content-Length: 64, but its body is 63 bytes: the real length goes on the wire.
    assert len(SEED_FORM) == 63
    assert r.status_code == 200
    assert "<code>name</code></td><td>Juan Garcia</td>" in r.text
    assert "<code>request</code></td><td>Envieme uno de sus catalogos</td>" in r.text
    assert "63 bytes" in r.text


def test_form_values_are_escaped(client: httpx.Client) -> None:
    r = client.post("/contact_form.php", data={"name": "<script>alert(1)</script>"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_multipart_form_post(client: httpx.Client) -> None:
    pytest.importorskip(
        "python_multipart", reason="multipart/form-data needs the crlf[multipart] extra"
    )
    r = client.post(
        "/contact_form.php",
        data={"name": "Juan Garcia", "request": "Envieme uno de sus catalogos"},
        files={"attachment": ("catalogo.txt", b"hola", "text/plain")},
    )
    assert r.status_code == 200
    assert "Juan Garcia" in r.text
    assert "file &#x27;catalogo.txt&#x27;, 4 bytes" in r.text


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/x-www-form-urlencoded", b"name=\xff", 400),  # not ASCII
        ("application/json", b"{}", 415),
        ("multipart/form-data", b"--x--", 400),
    ],
)
def test_bad_forms(client: httpx.Client, content_type: str, body: bytes, status: int) -> None:
    r = client.post("/contact_form.php", content=body, headers={"content-type": content_type})
    assert r.status_code == status


def test_form_get_redirects_to_the_form(client: httpx.Client) -> None:
    r = client.get("/contact_form.php")
    assert r.status_code == 303
    assert r.headers["location"] == "/contact.html"
    assert client.get("/contact.html").status_code == 200


def test_moved_permanently(client: httpx.Client) -> None:
    r = client.get("/moved")
    assert r.status_code == 301
    assert r.headers["location"] == "/"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>301 Moved Permanently</title>" in r.text
    assert '<a href="/">here</a>' in r.text
    followed = client.get("/moved", follow_redirects=True)
    assert followed.status_code == 200


@pytest.mark.parametrize(
    ("accept_language", "text"),
    [
        (None, "this page does not exist"),
        ("fr", "cette page n'existe pas"),
        ("es", "esta página no existe"),
    ],
)
def test_custom_404(client: httpx.Client, accept_language: str | None, text: str) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    r = client.get("/no-such-page", headers=headers)
    assert r.status_code == 404
    assert text in r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_session_page_shows_this_connections_requests() -> None:
    # A fresh app: its record of connections starts empty (a reused client port cannot mix in).
    with serve_app(DemoApp()) as demo, httpx.Client(base_url=demo, timeout=10) as c:
        c.get("/", headers={"accept-language": "fr"})
        c.get("/style.css")
        r = c.get("/session", headers={"x-demo": "third"})
    assert r.status_code == 200
    assert "carried <strong>3</strong>" in r.text
    heads = re.findall(r"<h2>Request \d+</h2>\n<pre>(.*?)</pre>", r.text, re.S)
    assert len(heads) == 3
    assert heads[0].startswith("GET / HTTP/1.1")
    assert "accept-language: fr" in heads[0]
    assert heads[1].startswith("GET /style.css HTTP/1.1")
    assert "x-demo: third" in heads[2]
    assert r.headers["cache-control"] == "no-store"


def test_a_new_connection_starts_a_new_session() -> None:
    with serve_app(DemoApp()) as demo:
        with httpx.Client(base_url=demo, timeout=10) as c:
            c.get("/")
            assert "carried <strong>2</strong>" in c.get("/session").text
        with httpx.Client(base_url=demo, timeout=10) as c:
            assert "carried <strong>1</strong>" in c.get("/session").text


def test_polling_endpoint(client: httpx.Client) -> None:
    first = client.get("/api/poll").json()
    second = client.get("/api/poll").json()
    assert second["seq"] == first["seq"] + 1
    assert first["date"].endswith(" GMT")


def test_push_page_and_assets(client: httpx.Client) -> None:
    page = client.get("/push.html")
    assert page.status_code == 200
    assert '<script src="/push.js">' in page.text
    script = client.get("/push.js")
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    image = client.get("/img/crlf.png")
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_websocket_echo_and_feed(demo: str) -> None:
    from websockets.sync.client import connect

    ws_url = demo.replace("http://", "ws://")
    with connect(ws_url + "/ws/echo", open_timeout=10) as ws:
        ws.send("hola")
        assert ws.recv(timeout=10) == "hola"
        ws.send(b"\x00\x01")
        assert ws.recv(timeout=10) == b"\x00\x01"
    with connect(ws_url + "/ws/feed", open_timeout=10) as ws:
        ws.send("from the page")
        messages = [ws.recv(timeout=10) for _ in range(2)]
        assert "echo: from the page" in messages or str(ws.recv(timeout=10)).startswith("echo")
        pushed = next(m for m in [*messages, ws.recv(timeout=10)] if str(m).startswith("push #"))
        assert str(pushed).endswith("GMT")


def test_session_page_shows_the_keep_alive_header_the_server_sends() -> None:
    """With the seed's numbers (15 s, 100 requests) the page predicts the server's header."""
    with run_cli("demo") as url, httpx.Client(base_url=url, timeout=10) as c:
        first = c.get("/")
        assert first.headers["keep-alive"] == "timeout=15, max=99"
        c.get("/style.css")
        r = c.get("/session")
    assert r.headers["keep-alive"] == "timeout=15, max=97"
    assert "<code>Keep-Alive: timeout=15, max=97</code>" in r.text
    assert "carried <strong>3</strong>" in r.text


@pytest.mark.interop
def test_the_seed_replayed_with_curl_on_one_connection(demo: str) -> None:
    """curl sends the seed's requests in order over one kept-alive connection."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed (scripts/setup-test.sh installs it)")
    argv = [curl, "-s", "-i", "-H", "Accept-Language: fr", demo + "/"]
    argv += ["--next", "-s", "-i", "--data", SEED_FORM.decode(), demo + "/contact_form.php"]
    argv += ["--next", "-s", "-i", demo + "/moved"]
    argv += ["--next", "-s", "-i", demo + "/no-such-page"]
    argv += ["--next", "-s", "-o", "/dev/null", "-w", "%{num_connects}", demo + "/session"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    statuses = re.findall(r"^HTTP/1\.1 (\d{3}) ", out, re.M)
    assert statuses == ["200", "200", "301", "404"]
    assert re.search(r"(?im)^content-language: fr\r?$", out)
    assert "<td>Juan Garcia</td>" in out
    assert re.search(r"(?im)^location: /\r?$", out)
    assert "Página no encontrada" not in out  # no Accept-Language on that one: English
    assert out.endswith("0")  # the last request opened no new connection


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("HEAD", "/session", 200, None),
        ("POST", "/session", 405, "GET, HEAD"),
        ("HEAD", "/api/poll", 200, None),
        ("PUT", "/contact_form.php", 405, "GET, HEAD, POST"),
        ("HEAD", "/contact_form.php", 303, None),
        ("DELETE", "/", 405, "GET, HEAD, OPTIONS"),
    ],
)
def test_demo_routes_and_methods(
    client: httpx.Client, method: str, path: str, status: int, allow: str | None
) -> None:
    r = client.request(method, path)
    assert r.status_code == status
    if allow is not None:
        assert r.headers["allow"] == allow
    if method == "HEAD":
        assert r.content == b""


def test_form_body_too_large(client: httpx.Client) -> None:
    body = b"name=" + b"x" * (1024 * 1024 + 1)
    r = client.post(
        "/contact_form.php",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413


def test_unknown_websocket_path_is_refused(demo: str) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with (
        pytest.raises(InvalidStatus),
        connect(demo.replace("http://", "ws://") + "/ws/nothing", open_timeout=10),
    ):
        pass
