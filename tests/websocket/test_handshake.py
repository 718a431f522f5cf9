"""The opening handshake (RFC 6455 §4): server checks (400/426), accept headers, client checks."""

from __future__ import annotations

import base64

import pytest

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.protocol import Headers, Request
from crlf.websocket import (
    accept_headers,
    accept_key,
    client_request_headers,
    is_upgrade_request,
    new_key,
    validate_upgrade_request,
    verify_response,
)

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example
GOOD = [
    (b"Host", b"server.example.com"),
    (b"Upgrade", b"websocket"),
    (b"Connection", b"Upgrade"),
    (b"Sec-WebSocket-Key", KEY),
    (b"Origin", b"http://example.com"),
    (b"Sec-WebSocket-Protocol", b"chat, superchat"),
    (b"Sec-WebSocket-Version", b"13"),
]


def request(
    headers: list[tuple[bytes, bytes]], *, method: bytes = b"GET", version: bytes = b"1.1"
) -> Request:
    return Request(method=method, target=b"/chat", headers=headers, http_version=version)


def replace(name: bytes, value: bytes | None) -> list[tuple[bytes, bytes]]:
    out = [(n, v) for n, v in GOOD if n.lower() != name.lower()]
    if value is not None:
        out.append((name, value))
    return out


def test_accept_key_rfc_example() -> None:
    # RFC 6455 §1.3
    assert accept_key(KEY) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_new_key_is_16_random_bytes() -> None:
    key = new_key()
    assert len(base64.b64decode(key)) == 16
    assert key != new_key()


def test_valid_request() -> None:
    upgrade = validate_upgrade_request(request(GOOD))
    assert upgrade.key == KEY
    assert upgrade.subprotocols == ["chat", "superchat"]
    assert upgrade.origin == b"http://example.com"
    assert upgrade.extensions == []
    assert upgrade.negotiate_deflate() is None


def test_tokens_are_case_insensitive_lists() -> None:
    headers = replace(b"Upgrade", b"WebSocket")
    headers = [(n, v) for n, v in headers if n != b"Connection"] + [
        (b"connection", b"keep-alive, UPGRADE")
    ]
    assert is_upgrade_request(Headers(headers))
    validate_upgrade_request(request(headers))


def test_is_upgrade_request() -> None:
    assert not is_upgrade_request(Headers([(b"Upgrade", b"h2c")]))
    assert not is_upgrade_request(Headers())


@pytest.mark.parametrize(
    ("req", "status"),
    [
        (request(GOOD, method=b"POST"), 400),
        (request(GOOD, version=b"1.0"), 400),
        (request(replace(b"Upgrade", None)), 400),
        (request(replace(b"Upgrade", b"h2c")), 400),
        (request(replace(b"Connection", b"keep-alive")), 400),
        (request(replace(b"Sec-WebSocket-Version", None)), 400),
        (request(replace(b"Sec-WebSocket-Version", b"8")), 426),
        (request([*GOOD, (b"Sec-WebSocket-Version", b"8")]), 426),
        (request(replace(b"Sec-WebSocket-Key", None)), 400),
        (request([*GOOD, (b"Sec-WebSocket-Key", KEY)]), 400),
        (request(replace(b"Sec-WebSocket-Key", b"not base64!")), 400),
        (request(replace(b"Sec-WebSocket-Key", base64.b64encode(b"x" * 15))), 400),
        (request(replace(b"Sec-WebSocket-Protocol", b"chat, a b")), 400),
        (request([*GOOD, (b"Sec-WebSocket-Extensions", b"permessage-deflate;")]), 400),
    ],
)
def test_invalid_requests(req: Request, status: int) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        validate_upgrade_request(req)
    assert info.value.status_hint == status


def test_accept_headers() -> None:
    upgrade = validate_upgrade_request(
        request(
            [*GOOD, (b"Sec-WebSocket-Extensions", b"permessage-deflate; client_max_window_bits")]
        )
    )
    negotiated = upgrade.negotiate_deflate()
    assert negotiated is not None
    headers = accept_headers(
        upgrade, subprotocol="chat", extensions=negotiated[1], headers=[(b"Set-Cookie", b"a=b")]
    )
    assert headers == [
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-accept", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        (b"sec-websocket-protocol", b"chat"),
        (b"sec-websocket-extensions", b"permessage-deflate"),
        (b"set-cookie", b"a=b"),
    ]


def test_accept_headers_refuses_unoffered_subprotocol_and_handshake_fields() -> None:
    upgrade = validate_upgrade_request(request(GOOD))
    with pytest.raises(LocalProtocolError):
        accept_headers(upgrade, subprotocol="mqtt")
    with pytest.raises(LocalProtocolError):
        accept_headers(upgrade, headers=[(b"Sec-WebSocket-Accept", b"x")])


# -- client side (§4.1) ----------------------------------------------------------------------


def test_client_request_headers_round_trip_through_the_server_checks() -> None:
    key = new_key()
    headers = client_request_headers(
        b"localhost:8000",
        key=key,
        subprotocols=["chat"],
        origin=b"http://x",
        headers=[(b"X-A", b"1")],
    )
    upgrade = validate_upgrade_request(request(headers))
    assert upgrade.subprotocols == ["chat"]
    negotiated = upgrade.negotiate_deflate()
    assert negotiated is not None
    response = Headers(accept_headers(upgrade, subprotocol="chat", extensions=negotiated[1]))
    subprotocol, codec = verify_response(101, response, key=key, subprotocols=["chat"])
    assert subprotocol == "chat"
    assert codec is not None


def test_client_request_without_extras() -> None:
    headers = client_request_headers(b"h", key=KEY, deflate=False)
    assert [n for n, _ in headers] == [
        b"Host",
        b"Upgrade",
        b"Connection",
        b"Sec-WebSocket-Key",
        b"Sec-WebSocket-Version",
    ]


def response(**changes: bytes | None) -> Headers:
    fields = {
        b"upgrade": b"websocket",
        b"connection": b"Upgrade",
        b"sec-websocket-accept": accept_key(KEY),
    }
    for name, value in changes.items():
        key = name.replace("_", "-").encode()
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    return Headers(list(fields.items()))


def test_verify_plain_response() -> None:
    assert verify_response(101, response(), key=KEY) == (None, None)


@pytest.mark.parametrize(
    ("status", "headers", "deflate"),
    [
        (200, response(), True),
        (101, response(upgrade=None), True),
        (101, response(connection=b"close"), True),
        (101, response(sec_websocket_accept=b"wrong"), True),
        (101, response(sec_websocket_protocol=b"chat"), True),
        (101, response(sec_websocket_extensions=b"x-foo"), True),
        (101, response(sec_websocket_extensions=b"permessage-deflate"), False),
        (101, response(sec_websocket_extensions=b"permessage-deflate, permessage-deflate"), True),
        (101, response(sec_websocket_extensions=b"permessage-deflate; bogus"), True),
    ],
)
def test_verify_response_rejects(status: int, headers: Headers, deflate: bool) -> None:
    with pytest.raises(RemoteProtocolError):
        verify_response(status, headers, key=KEY, deflate=deflate)
