"""More edge cases: connect timeouts (a full accept queue), body kinds, URL identity,
timeouts and limits validation, cache storage rules, decoder failures."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import zlib
from typing import TYPE_CHECKING

import pytest

import crlf
from crlf.client import URL, HTTPCache, PoolLimits, Timeout
from crlf.client._config import to_timeout
from crlf.client._content import encode_body, encode_multipart
from crlf.client._decoders import make_decoder
from crlf.errors import DecodingError
from crlf.protocol import Headers

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full, so a new connection's SYN goes unanswered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(("127.0.0.1", port))
        fillers.append(s)
    try:
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_connect_timeout_sync_and_async() -> None:
    with unanswered_port() as port:
        with (
            crlf.Client(timeout=Timeout(connect=0.3)) as client,
            pytest.raises(crlf.ConnectTimeout),
        ):
            client.get(f"http://127.0.0.1:{port}/")

        async def main() -> None:
            async with crlf.AsyncClient(timeout=Timeout(connect=0.3)) as client:
                with pytest.raises(crlf.ConnectTimeout):
                    await client.get(f"http://127.0.0.1:{port}/")

        asyncio.run(main())


def test_body_kinds() -> None:
    text = encode_body(content="ñ")
    assert text is not None
    assert text.data == "ñ".encode()
    mv = encode_body(content=memoryview(b"abc"))
    assert mv is not None
    assert mv.data == b"abc"

    class Pipe(io.RawIOBase):  # a non-seekable file: unknown length, streamed chunked
        def __init__(self) -> None:
            self.left = [b"a", b"b"]

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.left.pop(0) if self.left else b""

        def seekable(self) -> bool:
            return False

        def tell(self) -> int:
            raise OSError("not seekable")

    piped = encode_body(content=Pipe())
    assert piped is not None
    assert piped.length is None
    assert not piped.replayable
    assert b"".join(piped.chunks()) == b"ab"
    listed = encode_body(content=[b"x", "y"])  # type: ignore[list-item]
    assert listed is not None
    assert listed.replayable
    assert b"".join(listed.chunks()) == b"xy"
    with pytest.raises(TypeError):
        encode_body(content=12)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_body(data=b"raw")  # type: ignore[arg-type]
    named = io.BytesIO(b"data")
    named.name = "/tmp/dir/informe.pdf"
    body = encode_multipart(
        [("a", True), ("b", None)],
        [("f", named), ("g", ("g.bin", b"\x00", None, {"X-Part": "1"})), ("h", "texto")],
        boundary="Z",
    )
    data = b"".join(body.chunks())
    assert b'name="a"\r\n\r\ntrue\r\n' in data
    assert b'filename="informe.pdf"\r\nContent-Type: application/pdf\r\n\r\ndata' in data
    assert b"X-Part: 1\r\n" in data
    assert b'name="h"\r\n\r\ntexto' in data
    assert body.length == len(data)
    pipe_form = encode_multipart(None, {"p": Pipe()}, boundary="Z")  # type: ignore[dict-item]
    assert pipe_form.length is None
    assert b"ab" in b"".join(pipe_form.chunks())


def test_url_identity() -> None:
    u = URL("http://h/p#f")
    assert u == "http://h/p"
    assert u == URL("http://H:80/p")
    assert hash(u) == hash(URL("http://h/p"))
    assert str(u) == "http://h/p#f"
    assert repr(u) == "URL('http://h/p#f')"
    assert u.with_params(None) is u
    assert u.with_params("a=1").target == b"/p?a=1"
    assert u != 3


def test_config_validation() -> None:
    assert to_timeout(None).read is None
    assert to_timeout(2).pool == 2
    with pytest.raises(ValueError, match="timeout"):
        Timeout(read=-1)
    with pytest.raises(ValueError, match="max_connections"):
        PoolLimits(max_connections=0)
    with pytest.raises(ValueError, match="per_host"):
        PoolLimits(max_connections_per_host=0)
    with pytest.raises(ValueError, match="keepalive"):
        PoolLimits(keepalive_expiry=-1)


def test_cache_storage_rules() -> None:
    cache = HTTPCache()
    url = URL("http://h/private")
    auth = Headers([(b"Authorization", b"Basic x")])
    assert (
        cache.store(
            url, auth, 200, b"", b"1.1", Headers([(b"Cache-Control", b"max-age=9")]), b"x", 0, 0
        )
        is None
    )
    assert cache.store(
        url, auth, 200, b"", b"1.1", Headers([(b"Cache-Control", b"public, max-age=9")]), b"x", 0, 0
    )
    assert (
        cache.store(
            url,
            Headers(),
            500,
            b"",
            b"1.1",
            Headers([(b"Cache-Control", b"max-age=9")]),
            b"x",
            0,
            0,
        )
        is None
    )
    assert (
        cache.store(url, Headers(), 302, b"", b"1.1", Headers(), b"x", 0, 0) is None
    )  # nothing makes it reusable
    small = HTTPCache(max_entries=1, max_body_size=2)
    assert (
        small.store(url, Headers(), 200, b"", b"1.1", Headers([(b"ETag", b'"a"')]), b"big", 0, 0)
        is None
    )
    small.store(
        URL("http://h/1"), Headers(), 200, b"", b"1.1", Headers([(b"ETag", b'"a"')]), b"1", 0, 0
    )
    small.store(
        URL("http://h/2"), Headers(), 200, b"", b"1.1", Headers([(b"ETag", b'"a"')]), b"2", 0, 0
    )
    assert len(small) == 1
    assert small.lookup(URL("http://h/1"), Headers()) is None
    small.clear()
    assert len(small) == 0


def test_decoder_failures() -> None:
    dec = make_decoder([b"deflate"])
    assert dec is not None
    with pytest.raises(DecodingError):
        dec.decode(b"\x78\x9c\xff\xff\xff")
    truncated = make_decoder([b"deflate"])
    assert truncated is not None
    truncated.decode(b"x")
    with pytest.raises(DecodingError):
        truncated.flush()
    chain = make_decoder([b"deflate", b"gzip"])
    assert chain is not None
    inner = zlib.compress(b"hola")
    gz = zlib.compressobj(wbits=31)
    outer = gz.compress(inner) + gz.flush()
    assert chain.decode(outer) + chain.flush() == b"hola"
