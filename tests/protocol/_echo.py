"""The ``http.server`` handler the interop tests run: fixed paths, and an echo of requests."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

from crlf.protocol import Data, EndOfMessage, Event, Response

PAGE = b"<!DOCTYPE html><title>crlf</title><p>Bonjour</p>\n"


class Handler(BaseHTTPRequestHandler):
    """Serves the paths the tests ask for; echoes request bodies."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the seed's session does since HTTP/1.1

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest's output clean

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if self.path == "/page":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(PAGE)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"Bon", b"jour", b" le monde"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Checksum: 42\r\n\r\n")
        elif self.path == "/http10":
            # An HTTP/1.0 response without Content-Length: the body ends when the server closes.
            self.protocol_version = "HTTP/1.0"
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"until the connection closes")
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "https://developer.mozilla.org/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404)  # with "Connection: close"

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body, trailers = self.read_chunked()
        else:
            body, trailers = self.rfile.read(int(self.headers.get("Content-Length", 0))), []
        echo = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "version": self.request_version,
                "headers": list(self.headers.items()),
                "body": body.decode("latin-1"),
                "trailers": trailers,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(echo)))
        self.end_headers()
        self.wfile.write(echo)

    do_PUT = do_POST

    def read_chunked(self) -> tuple[bytes, list[list[str]]]:
        """http.server leaves chunked request bodies to the handler (RFC 9112 §7.1)."""
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if not size:
                break
            body += self.rfile.read(size)
            assert self.rfile.read(2) == b"\r\n"
        trailers = []
        while (line := self.rfile.readline()) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            trailers.append([name, value.strip()])
        return body, trailers


def echo_of(events: list[Event]) -> dict[str, object]:
    response, data, end = events
    assert isinstance(response, Response)
    assert response.status_code == 200
    assert end == EndOfMessage()
    assert isinstance(data, Data)
    decoded: dict[str, object] = json.loads(bytes(data.data))
    return decoded
