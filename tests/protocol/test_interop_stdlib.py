"""Interop with the standard library's ``http.server`` (h11's test_against_stdlib_http.py).

crlf's client role, over a plain blocking socket, reads what ``http.server`` sends (keep-alive
with Content-Length, chunked written by hand, HEAD, 100 Continue, errors that close, and an
HTTP/1.0 close-delimited response); ``http.server`` reads the requests crlf writes (Content-Length
and chunked bodies) and echoes them back as JSON.
"""

from __future__ import annotations

import threading
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
from tests.protocol._echo import PAGE, Handler, echo_of

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield ("127.0.0.1", httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def get(path: bytes, method: bytes = b"GET", **kw: object) -> Request:
    headers = [(b"Host", b"127.0.0.1"), *kw.pop("headers", [])]  # type: ignore[misc]
    return Request(method=method, target=path, headers=headers, **kw)  # type: ignore[arg-type]


def test_keep_alive_content_length(server: tuple[str, int]) -> None:
    with SocketClient(server) as client:
        for _ in range(3):  # three exchanges on one connection
            response, data, end = client.request(get(b"/page"))
            assert isinstance(response, Response)
            assert (response.status_code, response.reason) == (200, b"OK")
            assert response.http_version == b"1.1"
            assert (response.headers.get(b"server") or b"").startswith(b"BaseHTTP/")
            assert data == Data(PAGE)
            assert end == EndOfMessage()
            assert client.conn.keep_alive
            assert client.conn.their_state is State.DONE


def test_head_has_no_body_and_the_connection_goes_on(server: tuple[str, int]) -> None:
    with SocketClient(server) as client:
        response, end = client.request(get(b"/page", b"HEAD"))
        assert isinstance(response, Response)
        assert response.headers.get(b"content-length") == b"%d" % len(PAGE)
        assert end == EndOfMessage()
        _, data, _ = client.request(get(b"/page"))
        assert data == Data(PAGE)


def test_chunked_with_extensions_and_trailers(server: tuple[str, int]) -> None:
    with SocketClient(server) as client:
        response, data, end = client.request(get(b"/chunked"))
        assert isinstance(response, Response)
        assert response.headers.get(b"transfer-encoding") == b"chunked"
        assert data == Data(b"Bonjour le monde")
        assert isinstance(end, EndOfMessage)
        assert end.headers.raw_items() == [(b"X-Checksum", b"42")]
        _, data, _ = client.request(get(b"/page"))  # the framing ended where it should
        assert data == Data(PAGE)


def test_http10_close_delimited(server: tuple[str, int]) -> None:
    with SocketClient(server) as client:
        response, data, end = client.request(get(b"/http10"))
        assert isinstance(response, Response)
        assert response.http_version == b"1.0"
        assert b"content-length" not in response.headers
        assert data == Data(b"until the connection closes")
        assert end == EndOfMessage()
        assert not client.conn.keep_alive
        assert client.receive() == [ConnectionClosed()]
        assert client.conn.their_state is State.CLOSED


def test_redirect(server: tuple[str, int]) -> None:
    with SocketClient(server) as client:
        response, end = client.request(get(b"/moved"))
        assert isinstance(response, Response)
        assert (response.status_code, response.reason) == (301, b"Moved Permanently")
        assert response.headers.get(b"location") == b"https://developer.mozilla.org/"
        assert end == EndOfMessage()


def test_error_with_connection_close(server: tuple[str, int]) -> None:
    with SocketClient(server) as client:
        response, data, end = client.request(get(b"/missing"))
        assert isinstance(response, Response)
        assert response.status_code == 404
        assert isinstance(data, Data)
        assert b"404" in bytes(data.data)
        assert end == EndOfMessage()
        assert client.conn.their_state is State.MUST_CLOSE
        assert client.wait_closed() == [ConnectionClosed()]


def test_request_with_content_length_is_read(server: tuple[str, int]) -> None:
    form = b"name=Juan%20Garcia&request=Envieme%20uno%20de%20sus%20catalogos"
    request = get(
        b"/contact_form.php",
        b"POST",
        headers=[
            (b"Content-Type", b"application/x-www-form-urlencoded"),
            (b"Content-Length", b"%d" % len(form)),
            (b"X-Raw-Case", b"kept \xe9"),
        ],
    )
    with SocketClient(server) as client:
        echo = echo_of(client.request(request, form))
        assert echo["method"] == "POST"
        assert echo["path"] == "/contact_form.php"
        assert echo["version"] == "HTTP/1.1"
        assert echo["body"] == form.decode()
        assert ["X-Raw-Case", "kept \xe9"] in echo["headers"]  # type: ignore[operator]
        assert ["Host", "127.0.0.1"] in echo["headers"]  # type: ignore[operator]
        # and the connection is still good
        assert echo_of(client.request(request, form))["body"] == form.decode()


def test_request_with_chunked_body_and_trailers_is_read(server: tuple[str, int]) -> None:
    request = get(b"/upload?x=1", b"PUT", headers=[(b"Transfer-Encoding", b"chunked")])
    with SocketClient(server) as client:
        client.send(request)
        for piece in (b"first ", b"", b"second ", b"x" * 5000):
            client.send(Data(piece))
        client.send(EndOfMessage([(b"X-Sum", b"abc")]))
        echo = echo_of(client.receive())
        assert echo["method"] == "PUT"
        assert echo["path"] == "/upload?x=1"
        assert echo["body"] == "first second " + "x" * 5000
        assert echo["trailers"] == [["X-Sum", "abc"]]


def test_100_continue_is_read_before_the_final_response(server: tuple[str, int]) -> None:
    body = b"payload"
    request = get(
        b"/expect",
        b"POST",
        headers=[(b"Content-Length", b"%d" % len(body)), (b"Expect", b"100-continue")],
    )
    with SocketClient(server) as client:
        client.send(request)
        (interim,) = client.receive(until=(InformationalResponse,))
        assert isinstance(interim, InformationalResponse)
        assert interim.status_code == 100
        client.send(Data(body), EndOfMessage())
        assert echo_of(client.receive())["body"] == "payload"


def test_http10_request_is_read(server: tuple[str, int]) -> None:
    request = get(b"/old", b"POST", headers=[(b"Content-Length", b"2")], http_version=b"1.0")
    with SocketClient(server) as client:
        echo = echo_of(client.request(request, b"ok"))
        assert echo["version"] == "HTTP/1.0"
        assert client.conn.our_state is State.MUST_CLOSE
