"""permessage-deflate (RFC 7692): extension parsing, negotiation both ways, the codec, limits."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.errors import LocalProtocolError, RemoteProtocolError
from crlf.websocket.deflate import PerMessageDeflate, parse_extensions


@pytest.mark.parametrize(
    ("values", "parsed"),
    [
        ([], []),
        ([b""], []),
        ([b"permessage-deflate"], [("permessage-deflate", [])]),
        (
            [b"Permessage-Deflate; Client_Max_Window_Bits"],
            [("permessage-deflate", [("client_max_window_bits", None)])],
        ),
        (
            [b'permessage-deflate; server_max_window_bits="10" ; client_no_context_takeover, x'],
            [
                (
                    "permessage-deflate",
                    [("server_max_window_bits", "10"), ("client_no_context_takeover", None)],
                ),
                ("x", []),
            ],
        ),
        ([b"a", b"b;c=d"], [("a", []), ("b", [("c", "d")])]),
        ([b"a, , b,"], [("a", []), ("b", [])]),
        ([b'a; q="x\\"y"'], [("a", [("q", 'x"y')])]),
    ],
)
def test_parse_extensions(values: list[bytes], parsed: object) -> None:
    assert parse_extensions(values) == parsed


@pytest.mark.parametrize(
    "value", [b"a;", b";a", b"a=b", b"a;b=", b"a b", b'a; b="x', b"a;;b", b"@"]
)
def test_parse_extensions_rejects(value: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_extensions([value])


# -- server negotiation (RFC 7692 §7.1) ------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "response"),
    [
        (b"permessage-deflate", "permessage-deflate"),
        (b"permessage-deflate; client_max_window_bits", "permessage-deflate"),
        (
            b"permessage-deflate; client_max_window_bits=10",
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            b"permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
        ),
        (
            b"permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover",
        ),
        (
            b"permessage-deflate; server_max_window_bits=9",
            "permessage-deflate; server_max_window_bits=9",
        ),
        (
            b"permessage-deflate; server_max_window_bits=15",
            "permessage-deflate; server_max_window_bits=15",
        ),
        # unusable offers are skipped in favour of the next one
        (b"permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate"),
        (b"permessage-deflate; foo, permessage-deflate", "permessage-deflate"),
        (
            b"permessage-deflate; server_max_window_bits=16, permessage-deflate",
            "permessage-deflate",
        ),
        (b"permessage-deflate; server_max_window_bits, permessage-deflate", "permessage-deflate"),
        (
            b"permessage-deflate; client_max_window_bits=07, permessage-deflate",
            "permessage-deflate",
        ),
        (
            b"permessage-deflate; server_no_context_takeover=1, permessage-deflate",
            "permessage-deflate",
        ),
        (
            b"permessage-deflate; server_no_context_takeover; server_no_context_takeover, permessage-deflate",
            "permessage-deflate",
        ),
        (b"x-webkit-deflate-frame, permessage-deflate", "permessage-deflate"),
        (b"x-webkit-deflate-frame", None),
        (b"permessage-deflate; server_max_window_bits=8", None),
    ],
)
def test_server_accept(offer: bytes, response: str | None) -> None:
    result = PerMessageDeflate.server_accept(parse_extensions([offer]))
    if response is None:
        assert result is None
    else:
        assert result is not None
        assert result[1] == response


def test_server_preferences_are_announced() -> None:
    result = PerMessageDeflate.server_accept(
        parse_extensions([b"permessage-deflate"]),
        server_no_context_takeover=True,
        server_max_window_bits=12,
    )
    assert result is not None
    codec, response = result
    assert response == "permessage-deflate; server_no_context_takeover; server_max_window_bits=12"
    assert codec.server_no_context_takeover
    assert codec.server_max_window_bits == 12


@pytest.mark.parametrize(
    ("response", "snct", "cnct", "sbits", "cbits"),
    [
        (b"permessage-deflate", False, False, 15, 15),
        (b"permessage-deflate; server_no_context_takeover", True, False, 15, 15),
        (b"permessage-deflate; client_no_context_takeover", False, True, 15, 15),
        (b"permessage-deflate; server_max_window_bits=8", False, False, 8, 15),
        (b"permessage-deflate; client_max_window_bits=9", False, False, 15, 9),
    ],
)
def test_client_accept(response: bytes, snct: bool, cnct: bool, sbits: int, cbits: int) -> None:
    ((_, params),) = parse_extensions([response])
    codec = PerMessageDeflate.client_accept(params)
    assert not codec.is_server
    assert (
        codec.server_no_context_takeover,
        codec.client_no_context_takeover,
        codec.server_max_window_bits,
        codec.client_max_window_bits,
    ) == (snct, cnct, sbits, cbits)


@pytest.mark.parametrize(
    "response",
    [
        b"permessage-deflate; client_max_window_bits=8",
        b"permessage-deflate; client_max_window_bits",
        b"permessage-deflate; server_max_window_bits=16",
        b"permessage-deflate; foo",
        b"permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    ],
)
def test_client_accept_rejects(response: bytes) -> None:
    ((_, params),) = parse_extensions([response])
    with pytest.raises(RemoteProtocolError):
        PerMessageDeflate.client_accept(params)


def test_client_offer_parses_as_an_offer() -> None:
    offer = PerMessageDeflate.client_offer().encode()
    assert parse_extensions([offer]) == [("permessage-deflate", [("client_max_window_bits", None)])]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"is_server": True, "server_max_window_bits": 7},
        {"is_server": True, "client_max_window_bits": 16},
        {"is_server": True, "server_max_window_bits": 8},
        {"is_server": False, "client_max_window_bits": 8},
    ],
)
def test_bad_window_bits_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="window"):
        PerMessageDeflate(**kwargs)  # type: ignore[arg-type]


# -- the codec (RFC 7692 §7.2) ---------------------------------------------------------------


def pair(**kwargs: object) -> tuple[PerMessageDeflate, PerMessageDeflate]:
    server = PerMessageDeflate(is_server=True, **kwargs)  # type: ignore[arg-type]
    client = PerMessageDeflate(is_server=False, **kwargs)  # type: ignore[arg-type]
    return server, client


def roundtrip(sender: PerMessageDeflate, receiver: PerMessageDeflate, data: bytes) -> bytes:
    compressed = sender.compress(data)
    receiver.start_message()
    return receiver.decompress(compressed, 1 << 24, final=True)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"server_no_context_takeover": True, "client_no_context_takeover": True},
        {"server_max_window_bits": 9, "client_max_window_bits": 9},
    ],
)
def test_codec_round_trips_both_ways(params: dict[str, object]) -> None:
    server, client = pair(**params)
    for data in [b"Hello" * 50, b"", b"Hello" * 50, bytes(range(256)) * 10]:
        assert roundtrip(server, client, data) == data
        assert roundtrip(client, server, data) == data


def test_context_takeover_shrinks_repeated_messages() -> None:
    taking, _ = pair()
    fresh, _ = pair(server_no_context_takeover=True)
    message = b"the same message, again and again and again " * 3
    first = taking.compress(message)
    assert len(taking.compress(message)) < len(first)  # back-references into the last message
    assert len(fresh.compress(message)) == len(fresh.compress(message)) == len(first)


def test_rfc7692_example() -> None:
    # RFC 7692 §7.2.3.1: "Hello" compressed is c2 48 cd c9 c9 07 00
    server = PerMessageDeflate(is_server=True)
    server.start_message()
    assert server.decompress(bytes.fromhex("f248cdc9c90700"), 100, final=True) == b"Hello"


def test_decompression_across_frames() -> None:
    server, client = pair()
    compressed = client.compress(b"abc" * 1000)
    server.start_message()
    half = len(compressed) // 2
    out = server.decompress(compressed[:half], 3000, final=False)
    out += server.decompress(compressed[half:], 3000 - len(out), final=True)
    assert out == b"abc" * 1000


def test_decompression_bomb_is_stopped() -> None:
    server, client = pair()
    bomb = client.compress(bytes(10_000_000))
    assert len(bomb) < 50_000  # 10 MB of zeros in ~44 KB at level 1
    server.start_message()
    with pytest.raises(RemoteProtocolError) as info:
        server.decompress(bomb, 1_000_000, final=True)
    assert info.value.close_code == 1009


def test_invalid_deflate_data_is_1007() -> None:
    server = PerMessageDeflate(is_server=True)
    server.start_message()
    with pytest.raises(RemoteProtocolError) as info:
        server.decompress(b"\xff\xff\xff\xff", 100, final=True)
    assert info.value.close_code == 1007


def test_decompress_needs_start_message() -> None:
    with pytest.raises(LocalProtocolError):
        PerMessageDeflate(is_server=True).decompress(b"", 10, final=True)


@given(st.lists(st.binary(max_size=2000), max_size=6), st.booleans())
def test_any_messages_round_trip(messages: list[bytes], no_takeover: bool) -> None:
    server, client = pair(
        server_no_context_takeover=no_takeover, client_no_context_takeover=no_takeover
    )
    for data in messages:
        assert roundtrip(client, server, data) == data
        assert roundtrip(server, client, data) == data


def test_compressed_output_is_raw_deflate_without_tail() -> None:
    server = PerMessageDeflate(is_server=True)
    out = server.compress(b"Hello")
    assert zlib.decompressobj(-15).decompress(out + b"\x00\x00\xff\xff") == b"Hello"
