"""One table of messages that drives both the reader and the writer tests (style.md §5).

Each :class:`Case` is a message on the wire and the events it means. ``test_readers.py`` feeds
``raw`` to the reading role and expects ``events``; ``test_writers.py`` makes the other role send
``events`` and, for the cases marked ``canonical``, expects exactly ``raw``. The examples of the
seed's session (MDN, "Una típica sesión de HTTP") come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crlf.protocol import (
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Limits,
    Request,
    Response,
    Role,
    State,
)

# The seed's form body. It declares "Content-Length: 64" for these 63 bytes (the English
# original's body was 64); a server would wait for a 64th byte, so the table uses the real length.
FORM = b"name=Juan%20Garcia&request=Envieme%20uno%20de%20sus%20catalogos"
FORM_LENGTH = str(len(FORM)).encode()
PAGE_301 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
    b"<title>301 Movido permanentemente</title>\n</head><body>\n"
    b"<h1>Movido de forma permanente</h1>\n</body></html>\n"
)
PAGE_404 = b"<!DOCTYPE html><title>404</title><p>Busque en el mapa del sitio.</p>\n"


@dataclass(frozen=True)
class Case:
    """A message, as bytes and as events, read by ``reader``.

    Attributes:
        id: the test id.
        reader: the role that reads ``raw`` (SERVER: a request; CLIENT: a response).
        raw: the bytes on the wire.
        events: what ``raw`` means, Data runs merged.
        method: for responses, the method of the request they answer.
        canonical: crlf's writer, given ``events``, produces exactly ``raw``.
        eof: the message ends when the peer closes (a close-delimited response body).
        keep_alive: whether the connection may carry another exchange afterwards.
        their_state: the reader's view of the sender's state after the message.
    """

    id: str
    reader: Role
    raw: bytes
    events: list[Event]
    method: bytes = b"GET"
    canonical: bool = False
    eof: bool = False
    keep_alive: bool = True
    their_state: State = State.DONE


def req(
    method: bytes,
    target: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    version: bytes = b"1.1",
) -> Request:
    """A Request event."""
    return Request(method=method, target=target, headers=headers or [], http_version=version)


def resp(
    code: int,
    headers: list[tuple[bytes, bytes]] | None = None,
    reason: bytes = b"",
    version: bytes = b"1.1",
) -> Response:
    """A Response event."""
    return Response(status_code=code, headers=headers or [], reason=reason, http_version=version)


def eom(trailers: list[tuple[bytes, bytes]] | None = None) -> EndOfMessage:
    """An EndOfMessage event."""
    return EndOfMessage(trailers or [])


HOST = (b"Host", b"developer.mozilla.org")

REQUESTS = [
    Case(
        "seed-get-accept-language",
        Role.SERVER,
        b"GET / HTTP/1.1\r\nHost: developer.mozilla.org\r\nAccept-Language: fr\r\n\r\n",
        [req(b"GET", b"/", [HOST, (b"Accept-Language", b"fr")]), eom()],
        canonical=True,
    ),
    Case(
        "seed-form-post",
        Role.SERVER,
        b"POST /contact_form.php HTTP/1.1\r\nHost: developer.mozilla.org\r\n"
        b"Content-Length: "
        + FORM_LENGTH
        + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
        + FORM,
        [
            req(
                b"POST",
                b"/contact_form.php",
                [
                    HOST,
                    (b"Content-Length", FORM_LENGTH),
                    (b"Content-Type", b"application/x-www-form-urlencoded"),
                ],
            ),
            Data(FORM),
            eom(),
        ],
        canonical=True,
    ),
    Case(
        "chunked-one-chunk",
        Role.SERVER,
        b"PUT /wiki HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nWiki\r\n0\r\n\r\n",
        [
            req(b"PUT", b"/wiki", [(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")]),
            Data(b"Wiki"),
            eom(),
        ],
        canonical=True,
    ),
    Case(
        "chunked-trailers",
        Role.SERVER,
        b"PUT /wiki HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nWiki\r\n0\r\nX-Checksum: 1234\r\nX-Other: b\r\n\r\n",
        [
            req(b"PUT", b"/wiki", [(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")]),
            Data(b"Wiki"),
            eom([(b"X-Checksum", b"1234"), (b"X-Other", b"b")]),
        ],
        canonical=True,
    ),
    Case(
        "chunked-extensions-and-hex-case",
        Role.SERVER,
        b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;name=value ; q="quoted \\" ;str"\r\nhello\r\n'
        b"0A;flag\r\n wide web!\r\n000;last\r\n\r\n",
        [
            req(b"POST", b"/up", [(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")]),
            Data(b"hello wide web!"),
            eom(),
        ],
    ),
    Case(
        "chunked-coding-case-insensitive",
        Role.SERVER,
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        [
            req(b"POST", b"/", [(b"Host", b"a"), (b"Transfer-Encoding", b"ChUnKeD")]),
            Data(b"x"),
            eom(),
        ],
    ),
    Case(
        "http10-no-host-closes",
        Role.SERVER,
        b"GET /old HTTP/1.0\r\n\r\n",
        [req(b"GET", b"/old", version=b"1.0"), eom()],
        canonical=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "http10-keep-alive",
        Role.SERVER,
        b"GET / HTTP/1.0\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n",
        [req(b"GET", b"/", [(b"Host", b"a"), (b"Connection", b"Keep-Alive")], b"1.0"), eom()],
        canonical=True,
    ),
    Case(
        "connection-close",
        Role.SERVER,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n",
        [req(b"GET", b"/", [(b"Host", b"a"), (b"Connection", b"foo, Close")]), eom()],
        canonical=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "ows-trimmed-empty-value-raw-case-obs-text",
        Role.SERVER,
        b"GET / HTTP/1.1\r\nhOsT: \t a \t\r\nX-Empty:\r\nX-Text: caf\xe9  au lait\r\n\r\n",
        [
            req(
                b"GET",
                b"/",
                [(b"hOsT", b"a"), (b"X-Empty", b""), (b"X-Text", b"caf\xe9  au lait")],
            ),
            eom(),
        ],
    ),
    Case(
        "leading-empty-lines-ignored",
        Role.SERVER,
        b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        [req(b"GET", b"/", [(b"Host", b"a")]), eom()],
    ),
    Case(
        "absolute-form",
        Role.SERVER,
        b"GET http://example.com:8080/x?y=%20 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        [req(b"GET", b"http://example.com:8080/x?y=%20", [(b"Host", b"example.com:8080")]), eom()],
        canonical=True,
    ),
    Case(
        "asterisk-form-options",
        Role.SERVER,
        b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        [req(b"OPTIONS", b"*", [(b"Host", b"a")]), eom()],
        canonical=True,
    ),
    Case(
        "authority-form-connect",
        Role.SERVER,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        [req(b"CONNECT", b"example.com:443", [(b"Host", b"example.com:443")]), eom()],
        canonical=True,
        their_state=State.MIGHT_SWITCH_PROTOCOL,
    ),
    Case(
        "ipv6-host-and-any-token-method",
        Role.SERVER,
        b"PROPFIND /dav HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n",
        [req(b"PROPFIND", b"/dav", [(b"Host", b"[::1]:8000")]), eom()],
        canonical=True,
    ),
    Case(
        "upgrade-request",
        Role.SERVER,
        b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        [
            req(
                b"GET",
                b"/chat",
                [(b"Host", b"a"), (b"Upgrade", b"websocket"), (b"Connection", b"Upgrade")],
            ),
            eom(),
        ],
        canonical=True,
        their_state=State.MIGHT_SWITCH_PROTOCOL,
    ),
    Case(
        "identical-content-lengths",
        Role.SERVER,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
        [
            req(
                b"POST",
                b"/",
                [(b"Host", b"a"), (b"Content-Length", b"3, 3"), (b"Content-Length", b"3")],
            ),
            Data(b"abc"),
            eom(),
        ],
    ),
    Case(
        "content-length-zero-expect",
        Role.SERVER,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n",
        [
            req(
                b"POST",
                b"/",
                [(b"Host", b"a"), (b"Content-Length", b"0"), (b"Expect", b"100-continue")],
            ),
            eom(),
        ],
        canonical=True,
    ),
]

SEED_200_HEAD = [
    (b"Date", b"Sat, 09 Oct 2010 14:28:02 GMT"),
    (b"Server", b"Apache"),
    (b"Last-Modified", b"Tue, 01 Dec 2009 20:18:22 GMT"),
    (b"ETag", b'"51142bc1-7449-479b075b2891b"'),
    (b"Accept-Ranges", b"bytes"),
    (b"Content-Length", b"15"),
    (b"Content-Type", b"text/html"),
]
SEED_301_HEAD = [
    (b"Server", b"Apache/2.2.3 (Red Hat)"),
    (b"Content-Type", b"text/html; charset=iso-8859-1"),
    (b"Date", b"Sat, 09 Oct 2010 14:30:24 GMT"),
    (b"Location", b"https://developer.mozilla.org/"),
    (b"Keep-Alive", b"timeout=15, max=98"),
    (b"Accept-Ranges", b"bytes"),
    (b"Via", b"Moz-Cache-zlb05"),
    (b"Connection", b"Keep-Alive"),
    (b"X-Cache-Info", b"caching"),
    (b"X-Cache-Info", b"caching"),
    (b"Content-Length", str(len(PAGE_301)).encode()),
]
SEED_404_HEAD = [
    (b"Date", b"Sat, 09 Oct 2010 14:33:02 GMT"),
    (b"Server", b"Apache"),
    (b"ETag", b'"499fd34e-29ec-42f695ca96761;48fe7523cfcc1"'),
    (b"Content-Length", str(len(PAGE_404)).encode()),
    (b"Content-Type", b"text/html"),
]


def _head(status: bytes, fields: list[tuple[bytes, bytes]]) -> bytes:
    return status + b"".join(b"%s: %s\r\n" % f for f in fields) + b"\r\n"


RESPONSES = [
    Case(
        "seed-200",
        Role.CLIENT,
        _head(b"HTTP/1.1 200 OK\r\n", SEED_200_HEAD) + b"<!DOCTYPE html>",
        [resp(200, SEED_200_HEAD, b"OK"), Data(b"<!DOCTYPE html>"), eom()],
        canonical=True,
    ),
    Case(
        "seed-301",
        Role.CLIENT,
        _head(b"HTTP/1.1 301 Moved Permanently\r\n", SEED_301_HEAD) + PAGE_301,
        [resp(301, SEED_301_HEAD, b"Moved Permanently"), Data(PAGE_301), eom()],
        canonical=True,
    ),
    Case(
        "seed-404",
        Role.CLIENT,
        _head(b"HTTP/1.1 404 Not Found\r\n", SEED_404_HEAD) + PAGE_404,
        [resp(404, SEED_404_HEAD, b"Not Found"), Data(PAGE_404), eom()],
        canonical=True,
    ),
    Case(
        "custom-reason",
        Role.CLIENT,
        b"HTTP/1.1 299 All Good\tHere \xe9\r\nContent-Length: 0\r\n\r\n",
        [resp(299, [(b"Content-Length", b"0")], b"All Good\tHere \xe9"), eom()],
        canonical=True,
    ),
    Case(
        "chunked-response-trailers",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\nServer-Timing: db;dur=53\r\n\r\n",
        [
            resp(200, [(b"Transfer-Encoding", b"chunked")], b"OK"),
            Data(b"hello"),
            eom([(b"Server-Timing", b"db;dur=53")]),
        ],
        canonical=True,
    ),
    Case(
        "chunked-response-extensions-gzip-chunked",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"3;a=b\r\n\x1f\x8b\x08\r\n0\r\n\r\n",
        [
            resp(200, [(b"Transfer-Encoding", b"gzip, chunked")], b"OK"),
            Data(b"\x1f\x8b\x08"),
            eom(),
        ],
    ),
    Case(
        "close-delimited-http10",
        Role.CLIENT,
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
        [
            resp(200, [(b"Content-Type", b"text/plain")], b"OK", b"1.0"),
            Data(b"until the end"),
            eom(),
        ],
        eof=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "close-delimited-http11-no-framing",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\n\r\nuntil the end",
        [resp(200, [], b"OK"), Data(b"until the end"), eom()],
        eof=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "close-delimited-coding-not-chunked",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b",
        [resp(200, [(b"Transfer-Encoding", b"gzip")], b"OK"), Data(b"\x1f\x8b"), eom()],
        eof=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "close-delimited-chunked-in-http10",
        Role.CLIENT,
        b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        [
            resp(200, [(b"Transfer-Encoding", b"chunked")], b"OK", b"1.0"),
            Data(b"1\r\nx\r\n0\r\n\r\n"),
            eom(),
        ],
        eof=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "http10-keep-alive-response",
        Role.CLIENT,
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        [
            resp(200, [(b"Connection", b"keep-alive"), (b"Content-Length", b"2")], b"OK", b"1.0"),
            Data(b"ok"),
            eom(),
        ],
    ),
    Case(
        "connection-close-response",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        [
            resp(200, [(b"Connection", b"close"), (b"Content-Length", b"2")], b"OK"),
            Data(b"ok"),
            eom(),
        ],
        canonical=True,
        keep_alive=False,
        their_state=State.MUST_CLOSE,
    ),
    Case(
        "head-has-no-body",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nContent-Length: 29769\r\n\r\n",
        [resp(200, [(b"Content-Length", b"29769")], b"OK"), eom()],
        method=b"HEAD",
        canonical=True,
    ),
    Case(
        "head-chunked-has-no-body",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        [resp(200, [(b"Transfer-Encoding", b"chunked")], b"OK"), eom()],
        method=b"HEAD",
        canonical=True,
    ),
    Case(
        "204-has-no-body",
        Role.CLIENT,
        b"HTTP/1.1 204 No Content\r\n\r\n",
        [resp(204, [], b"No Content"), eom()],
        method=b"DELETE",
        canonical=True,
    ),
    Case(
        "304-has-no-body",
        Role.CLIENT,
        b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 100\r\n\r\n',
        [resp(304, [(b"ETag", b'"x"'), (b"Content-Length", b"100")], b"Not Modified"), eom()],
        canonical=True,
    ),
    Case(
        "100-continue-then-200",
        Role.CLIENT,
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        [
            InformationalResponse(status_code=100, reason=b"Continue"),
            InformationalResponse(
                status_code=103, headers=[(b"Link", b"</s.css>")], reason=b"Early Hints"
            ),
            resp(200, [(b"Content-Length", b"1")], b"OK"),
            Data(b"x"),
            eom(),
        ],
        method=b"POST",
        canonical=True,
    ),
    Case(
        "status-line-without-reason",
        Role.CLIENT,
        b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
        [resp(200, [(b"Content-Length", b"0")]), eom()],
    ),
    Case(
        "status-line-empty-reason",
        Role.CLIENT,
        b"HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n",
        [resp(599, [(b"Content-Length", b"0")]), eom()],
    ),
    Case(
        "connect-2xx-switches",
        Role.CLIENT,
        b"HTTP/1.1 200 Connection Established\r\n\r\n",
        [resp(200, [], b"Connection Established")],
        method=b"CONNECT",
        canonical=True,
        their_state=State.SWITCHED_PROTOCOL,
    ),
    Case(
        "connect-refused-has-body",
        Role.CLIENT,
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno",
        [
            resp(407, [(b"Content-Length", b"2")], b"Proxy Authentication Required"),
            Data(b"no"),
            eom(),
        ],
        method=b"CONNECT",
        canonical=True,
    ),
]

CASES = REQUESTS + RESPONSES


@dataclass(frozen=True)
class Bad:
    """Bytes the reader must refuse with ``status`` (the hint a server answers with).

    Attributes:
        id: the test id.
        reader: the role that reads.
        raw: the bytes.
        status: the expected ``status_hint``.
        limits: the limits to read with (defaults when None).
        method: for responses, the method of the request.
        eof: the peer closes after ``raw`` (the error shows only then).
        request: for responses, extra request headers (an Upgrade).
    """

    id: str
    reader: Role
    raw: bytes
    status: int = 400
    limits: Limits | None = None
    method: bytes = b"GET"
    eof: bool = False
    request: list[tuple[bytes, bytes]] = field(default_factory=list)


def _post(headers: bytes, body: bytes = b"") -> bytes:
    return b"POST / HTTP/1.1\r\nHost: a\r\n" + headers + b"\r\n" + body


def _chunked(body: bytes) -> bytes:
    return _post(b"Transfer-Encoding: chunked\r\n", body)


SMALL = Limits(
    max_start_line=32,
    max_head_bytes=128,
    max_header_count=4,
    max_chunk_line=16,
    max_body_size=10,
)

BAD_REQUESTS = [
    # limits, each with its status (Limits docstring)
    Bad("414-request-line", Role.SERVER, b"GET /" + b"a" * 40 + b" HTTP/1.1\r\n\r\n", 414, SMALL),
    Bad(
        "414-request-line-in-a-large-head",
        Role.SERVER,
        b"GET /" + b"a" * 40 + b" HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 100 + b"\r\n\r\n",
        414,
        SMALL,
    ),
    Bad(
        "414-request-line-unterminated",
        Role.SERVER,
        b"GET /" + b"a" * 40,
        414,
        SMALL,
    ),
    Bad(
        "431-head-bytes",
        Role.SERVER,
        b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 200 + b"\r\n\r\n",
        431,
        SMALL,
    ),
    Bad(
        "431-head-bytes-unterminated",
        Role.SERVER,
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: b\r\n" * 30,
        431,
        SMALL,
    ),
    Bad(
        "431-field-count",
        Role.SERVER,
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: b\r\n" * 4 + b"\r\n",
        431,
        SMALL,
    ),
    Bad("413-content-length", Role.SERVER, _post(b"Content-Length: 11\r\n"), 413, SMALL),
    Bad(
        "413-chunked-total",
        Role.SERVER,
        _chunked(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        413,
        SMALL,
    ),
    Bad("400-chunk-line-too-long", Role.SERVER, _chunked(b"1;" + b"e" * 20 + b"\r\n"), 400, SMALL),
    Bad(
        "431-trailer-section",
        Role.SERVER,
        _chunked(b"0\r\nX: " + b"y" * 200 + b"\r\n\r\n"),
        431,
        SMALL,
    ),
    Bad(
        "431-trailer-count",
        Role.SERVER,
        _chunked(b"0\r\n" + b"X: y\r\n" * 5 + b"\r\n"),
        431,
        SMALL,
    ),
    # versions: 505 (RFC 9110 §15.6.6), malformed ones 400
    Bad("505-http2", Role.SERVER, b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    Bad("505-http12", Role.SERVER, b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    Bad("505-http09-number", Role.SERVER, b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
    Bad("400-version-lowercase", Role.SERVER, b"GET / http/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-version-malformed", Role.SERVER, b"GET / HTTP/1.10\r\nHost: a\r\n\r\n"),
    Bad("400-http09", Role.SERVER, b"GET /\r\n\r\n"),
    Bad("400-request-line-extra-space", Role.SERVER, b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-request-line-four-parts", Role.SERVER, b"GET / x HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-method-not-token", Role.SERVER, b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
    # Host, RFC 9112 §3.2
    Bad("400-host-missing", Role.SERVER, b"GET / HTTP/1.1\r\n\r\n"),
    Bad("400-host-duplicate", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
    Bad("400-host-duplicate-http10", Role.SERVER, b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
    Bad("400-host-invalid", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
    Bad("400-host-invalid-slash", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    # target forms, RFC 9112 §3.2
    Bad("400-connect-origin-form", Role.SERVER, b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-connect-no-port", Role.SERVER, b"CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-authority-form-get", Role.SERVER, b"GET a.com:443 HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-asterisk-get", Role.SERVER, b"GET * HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-userinfo", Role.SERVER, b"GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-fragment", Role.SERVER, b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-target-not-a-uri", Role.SERVER, b"GET a HTTP/1.1\r\nHost: a\r\n\r\n"),
    Bad("400-target-obs-text", Role.SERVER, b"GET /\xe9 HTTP/1.1\r\nHost: a\r\n\r\n"),
    # framing, RFC 9112 §6
    Bad(
        "400-te-and-cl",
        Role.SERVER,
        _post(b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
    ),
    Bad("400-te-not-chunked-last", Role.SERVER, _post(b"Transfer-Encoding: chunked, gzip\r\n")),
    Bad("400-te-only-gzip", Role.SERVER, _post(b"Transfer-Encoding: gzip\r\n")),
    Bad("400-te-chunked-twice", Role.SERVER, _post(b"Transfer-Encoding: chunked, chunked\r\n")),
    Bad(
        "400-te-chunked-twice-lines",
        Role.SERVER,
        _post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
    ),
    Bad("400-te-not-token", Role.SERVER, _post(b"Transfer-Encoding: ch(nked\r\n")),
    Bad("400-te-empty", Role.SERVER, _post(b"Transfer-Encoding:\r\n")),
    Bad("501-te-gzip-chunked", Role.SERVER, _post(b"Transfer-Encoding: gzip, chunked\r\n"), 501),
    Bad("501-te-unknown", Role.SERVER, _post(b"Transfer-Encoding: foo, chunked\r\n"), 501),
    Bad(
        "400-te-http10",
        Role.SERVER,
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ),
    Bad("400-cl-plus", Role.SERVER, _post(b"Content-Length: +1\r\n", b"x")),
    Bad("400-cl-underscore", Role.SERVER, _post(b"Content-Length: 1_0\r\n")),
    Bad("400-cl-negative", Role.SERVER, _post(b"Content-Length: -1\r\n")),
    Bad("400-cl-empty", Role.SERVER, _post(b"Content-Length:\r\n")),
    Bad("400-cl-hex", Role.SERVER, _post(b"Content-Length: 0x1\r\n")),
    Bad("400-cl-too-many-digits", Role.SERVER, _post(b"Content-Length: 1234567890123456789\r\n")),
    Bad("400-cl-differ-list", Role.SERVER, _post(b"Content-Length: 1, 2\r\n")),
    Bad("400-cl-differ-lines", Role.SERVER, _post(b"Content-Length: 1\r\nContent-Length: 2\r\n")),
    # field syntax, RFC 9112 §5 / RFC 9110 §5.5
    Bad("400-space-before-colon", Role.SERVER, b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
    Bad("400-obs-fold", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n"),
    Bad("400-no-colon", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n"),
    Bad("400-empty-name", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"),
    Bad("400-bare-lf-in-head", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"),
    Bad("400-bare-cr-in-head", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"),
    Bad("400-nul-in-value", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nX: b\x00c\r\n\r\n"),
    Bad("400-ctl-in-value", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nX: b\x01c\r\n\r\n"),
    Bad("400-del-in-value", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nX: b\x7fc\r\n\r\n"),
    Bad("400-non-token-name", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n"),
    # chunked body, RFC 9112 §7.1
    Bad("400-chunk-size-not-hex", Role.SERVER, _chunked(b"zz\r\n")),
    Bad("400-chunk-size-empty", Role.SERVER, _chunked(b"\r\n")),
    Bad("400-chunk-size-too-many-digits", Role.SERVER, _chunked(b"1" * 17 + b"\r\n")),
    Bad("400-chunk-size-space", Role.SERVER, _chunked(b" 1\r\nx\r\n0\r\n\r\n")),
    Bad("400-chunk-ext-unterminated-quote", Role.SERVER, _chunked(b'1;a="b\r\nx\r\n0\r\n\r\n')),
    Bad("400-chunk-ext-no-name", Role.SERVER, _chunked(b"1;=b\r\nx\r\n0\r\n\r\n")),
    Bad("400-chunk-data-no-crlf", Role.SERVER, _chunked(b"3\r\nabcX\r\n0\r\n\r\n")),
    Bad("400-chunk-data-cr-then-x", Role.SERVER, _chunked(b"3\r\nabc\rX0\r\n\r\n")),
    Bad("400-chunk-data-too-long", Role.SERVER, _chunked(b"1\r\nabc\r\n0\r\n\r\n")),
    Bad("400-chunk-bare-lf", Role.SERVER, _chunked(b"1\nx\r\n0\r\n\r\n")),
    Bad("400-trailer-content-length", Role.SERVER, _chunked(b"0\r\nContent-Length: 5\r\n\r\n")),
    Bad(
        "400-trailer-transfer-encoding", Role.SERVER, _chunked(b"0\r\nTransfer-Encoding: x\r\n\r\n")
    ),
    Bad("400-trailer-host", Role.SERVER, _chunked(b"0\r\nHost: b\r\n\r\n")),
    Bad("400-trailer-garbage", Role.SERVER, _chunked(b"0\r\n\x00\x01\r\n\r\n")),
    Bad("400-trailer-obs-fold", Role.SERVER, _chunked(b"0\r\nX: a\r\n b\r\n\r\n")),
    # the peer closing too early
    Bad("400-eof-in-head", Role.SERVER, b"GET / HTTP/1.1\r\nHost: a\r\n", eof=True),
    Bad("400-eof-in-cl-body", Role.SERVER, _post(b"Content-Length: 5\r\n", b"abc"), eof=True),
    Bad("400-eof-in-chunked-body", Role.SERVER, _chunked(b"5\r\nab"), eof=True),
    Bad("400-eof-in-trailers", Role.SERVER, _chunked(b"0\r\nX: y\r\n"), eof=True),
    Bad("400-eof-lone-cr", Role.SERVER, b"\r", eof=True),
]

BAD_RESPONSES = [
    Bad("response-http2", Role.CLIENT, b"HTTP/2.0 200 OK\r\n\r\n"),
    Bad("response-http11x", Role.CLIENT, b"HTTP/1.2 200 OK\r\n\r\n"),
    Bad("response-version-lowercase", Role.CLIENT, b"http/1.1 200 OK\r\n\r\n"),
    Bad("response-status-two-digits", Role.CLIENT, b"HTTP/1.1 20 OK\r\n\r\n"),
    Bad("response-status-below-100", Role.CLIENT, b"HTTP/1.1 099 Nope\r\n\r\n"),
    Bad("response-reason-ctl", Role.CLIENT, b"HTTP/1.1 200 O\x01K\r\n\r\n"),
    Bad("response-not-http", Role.CLIENT, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
    Bad(
        "response-te-and-cl",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    ),
    Bad("response-cl-invalid", Role.CLIENT, b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
    Bad("response-cl-differ", Role.CLIENT, b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n"),
    Bad("response-101-without-upgrade", Role.CLIENT, b"HTTP/1.1 101 Switching Protocols\r\n\r\n"),
    Bad("response-obs-fold", Role.CLIENT, b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"),
    Bad(
        "response-chunk-invalid",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nq\r\n",
    ),
    Bad(
        "response-status-line-too-long",
        Role.CLIENT,
        b"HTTP/1.1 200 " + b"O" * 40 + b"\r\n\r\n",
        limits=SMALL,
    ),
    Bad(
        "response-status-line-too-long-unterminated",
        Role.CLIENT,
        b"HTTP/1.1 200 " + b"O" * 40,
        limits=SMALL,
    ),
    Bad(
        "response-head-too-large",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 30 + b"\r\n",
        limits=SMALL,
    ),
    Bad(
        "response-too-many-fields",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 5 + b"\r\n",
        limits=SMALL,
    ),
    Bad("response-eof-before-anything", Role.CLIENT, b"", eof=True),
    Bad("response-eof-in-head", Role.CLIENT, b"HTTP/1.1 200 OK\r\n", eof=True),
    Bad(
        "response-eof-in-cl-body",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
        eof=True,
    ),
    Bad(
        "response-eof-in-chunked-body",
        Role.CLIENT,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        eof=True,
    ),
]

BAD = BAD_REQUESTS + BAD_RESPONSES
