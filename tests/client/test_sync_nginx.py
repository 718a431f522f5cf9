"""crlf.Client against a real nginx: keep-alive reuse counted at the server, redirects,
decompression, HEAD, the HTTP cache revalidating with nginx's ETag, Keep-Alive limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.client import HTTPCache

if TYPE_CHECKING:
    from .servers import Nginx

pytestmark = pytest.mark.interop


def test_get_hello(nginx: Nginx) -> None:
    with crlf.Client() as client:
        r = client.get(nginx.url("/"))
    assert r.status_code == 200
    assert r.reason_phrase == "OK"
    assert r.http_version == "HTTP/1.1"
    assert r.content == b"Hello, world!"
    assert r.text == "Hello, world!"
    assert r.headers["content-type"] == "text/plain"
    assert r.headers["Content-Length"] == "13"


def test_100_sequential_requests_use_one_connection(nginx: Nginx) -> None:
    with crlf.Client() as client:
        ids = {client.get(nginx.url("/conn")).text for _ in range(100)}
        assert client.pool.connections_opened == 1
    assert len(ids) == 1  # nginx's $connection: the server saw a single connection


def test_keepalive_requests_limit_opens_new_connections(nginx: Nginx) -> None:
    # nginx closes after 3 requests (Connection: close on the 3rd response): RFC 9112 §9.6.
    with crlf.Client() as client:
        ids = [client.get(nginx.url2("/conn")).text for _ in range(7)]
        assert client.pool.connections_opened == 3
    assert len(set(ids[0:3])) == 1
    assert len(set(ids[3:6])) == 1
    assert ids[0] != ids[3] != ids[6]


def test_redirect_301_followed_with_history(nginx: Nginx) -> None:
    with crlf.Client() as client:
        r = client.get(nginx.url("/moved"))
        assert r.status_code == 200
        assert [h.status_code for h in r.history] == [301]
        assert str(r.url) == nginx.url("/conn")
        assert client.pool.connections_opened == 1  # same origin: the connection is reused


def test_redirect_not_followed_when_disabled(nginx: Nginx) -> None:
    with crlf.Client(follow_redirects=False) as client:
        r = client.get(nginx.url("/moved"))
    assert r.status_code == 301
    assert r.is_redirect
    assert r.headers["location"] == "/conn"


def logged(client: crlf.Client, nginx: Nginx) -> list[str]:
    """nginx's access log once every earlier request on this keep-alive connection is in it
    (nginx logs a request before it reads the next one on the same connection)."""
    client.get(nginx.url("/"))
    return nginx.access_log()


def test_post_303_becomes_get(nginx: Nginx) -> None:
    with crlf.Client() as client:
        r = client.post(nginx.url("/see-other"), data={"name": "Juan Garcia"})
        lines = logged(client, nginx)
    assert r.status_code == 200
    assert r.request is not None
    assert r.request.method == "GET"
    assert lines[-3].split()[1:3] == ["POST", "/see-other"]
    assert lines[-2].split()[1:3] == ["GET", "/conn"]


def test_redirect_loop_raises(nginx: Nginx) -> None:
    with crlf.Client(max_redirects=5) as client, pytest.raises(crlf.TooManyRedirects):
        client.get(nginx.url("/loop"))


def test_gzip_is_decoded(nginx: Nginx) -> None:
    with crlf.Client() as client:
        r = client.get(nginx.url("/static/page.txt"))
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == nginx.text
    assert r.text.startswith("El cliente establece una conexión TCP.")


def test_stream_iter_bytes_large_file(nginx: Nginx) -> None:
    expected = (nginx.dir / "www" / "static" / "big.bin").read_bytes()
    with crlf.Client() as client:
        with client.stream("GET", nginx.url("/static/big.bin")) as r:
            chunks = list(r.iter_bytes())
        assert b"".join(chunks) == expected
        assert len(chunks) > 1
        assert client.get(nginx.url("/")).status_code == 200
        assert client.pool.connections_opened == 1


def test_head_has_no_body(nginx: Nginx) -> None:
    with crlf.Client() as client:
        r = client.head(nginx.url("/static/data.json"))
        assert r.status_code == 200
        assert r.content == b""
        assert client.get(nginx.url("/static/data.json")).json() == {"idioma": "español", "n": 3}
        assert client.pool.connections_opened == 1


def test_404_raise_for_status(nginx: Nginx) -> None:
    with crlf.Client() as client:
        r = client.get(nginx.url("/missing"))
    assert r.status_code == 404
    assert r.text == "<h1>Not here</h1>"
    with pytest.raises(crlf.HTTPStatusError) as info:
        r.raise_for_status()
    assert info.value.status_code == 404


def test_cache_revalidates_and_serves_body_on_304(nginx: Nginx) -> None:
    with crlf.Client(http_cache=HTTPCache()) as client:
        first = client.get(nginx.url("/nocache/page.txt"))
        second = client.get(nginx.url("/nocache/page.txt"))
        lines = logged(client, nginx)
    assert first.content == second.content == nginx.text
    assert not first.from_cache
    assert second.from_cache
    statuses = [line.split()[3] for line in lines if "/nocache/page.txt" in line]
    assert statuses[-2:] == ["200", "304"]


def test_cache_serves_fresh_without_contacting_server(nginx: Nginx) -> None:
    with crlf.Client(http_cache=True) as client:
        client.get(nginx.url("/fresh/page.txt"))
        before = logged(client, nginx)
        r = client.get(nginx.url("/fresh/page.txt"))
        after = logged(client, nginx)
    assert r.from_cache
    assert r.content == nginx.text
    fresh = [line for line in before if "/fresh/page.txt" in line]
    assert len(fresh) == 1
    assert [line for line in after if "/fresh/page.txt" in line] == fresh  # never reached nginx


def test_threads_share_one_client_within_limits(nginx: Nginx) -> None:
    import threading

    errors: list[BaseException] = []
    texts: list[str] = []
    with crlf.Client(max_connections=4) as client:

        def work() -> None:
            try:
                for _ in range(50):
                    r = client.get(nginx.url("/conn"))
                    assert r.status_code == 200
                    texts.append(r.text)
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        assert client.pool.connections_opened <= 4
    assert len(texts) == 400
    assert len(set(texts)) <= 4  # nginx saw at most four connections
