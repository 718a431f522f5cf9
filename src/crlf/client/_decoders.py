"""Response body decoding: Content-Encoding (RFC 9110 §8.4) and text charsets (§8.3.2).

Decoders are incremental so :meth:`Response.iter_bytes` can decompress as data arrives.
``deflate`` is zlib-wrapped per RFC 9110 §8.4.1.2, but some servers send raw DEFLATE, so the
first bytes decide (as curl, httpx and browsers do). ``br`` needs the optional ``brotli`` package.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Any, Protocol

from ..errors import DecodingError

__all__ = [
    "ACCEPT_ENCODING",
    "Decoder",
    "charset_from_content_type",
    "decode_text",
    "make_decoder",
]

try:  # optional: `pip install crlf[brotli]`
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

# The Accept-Encoding we send: what we can decode (RFC 9110 §12.5.3).
ACCEPT_ENCODING = b"gzip, deflate, br" if _brotli is not None else b"gzip, deflate"


class Decoder(Protocol):
    """Incremental decoder of one content coding."""

    def decode(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...


class _GzipDecoder:
    def __init__(self) -> None:
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def decode(self, data: bytes) -> bytes:
        try:
            out = self._obj.decompress(data)
            # Concatenated gzip members (RFC 1952 §2.2) are one body: keep going after each.
            while self._obj.eof and self._obj.unused_data:
                rest = self._obj.unused_data
                self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out += self._obj.decompress(rest)
            return out
        except zlib.error as exc:
            raise DecodingError(f"invalid gzip body: {exc}") from exc

    def flush(self) -> bytes:
        try:
            return self._obj.flush()
        except zlib.error as exc:  # pragma: no cover - zlib flush rarely fails
            raise DecodingError(f"invalid gzip body: {exc}") from exc


class _DeflateDecoder:
    def __init__(self) -> None:
        self._obj: Any = None
        self._first = b""

    def decode(self, data: bytes) -> bytes:
        if self._obj is None:
            self._first += data
            if len(self._first) < 2:
                return b""
            data, self._first = self._first, b""
            # RFC 1950 §2.2: a zlib header's first byte has CM=8 and (CMF*256+FLG) % 31 == 0.
            zlib_wrapped = (data[0] & 0x0F) == 8 and (data[0] * 256 + data[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)
        try:
            return bytes(self._obj.decompress(data))
        except zlib.error as exc:
            raise DecodingError(f"invalid deflate body: {exc}") from exc

    def flush(self) -> bytes:
        if self._obj is None:
            if self._first:
                raise DecodingError("truncated deflate body")
            return b""
        try:
            return bytes(self._obj.flush())
        except zlib.error as exc:  # pragma: no cover
            raise DecodingError(f"invalid deflate body: {exc}") from exc


class _BrotliDecoder:
    def __init__(self) -> None:
        assert _brotli is not None
        self._obj = _brotli.Decompressor()

    def decode(self, data: bytes) -> bytes:
        try:
            return bytes(self._obj.process(data))
        except _brotli.error as exc:
            raise DecodingError(f"invalid brotli body: {exc}") from exc

    def flush(self) -> bytes:
        if hasattr(self._obj, "is_finished") and not self._obj.is_finished():
            raise DecodingError("truncated brotli body")
        return b""


class _Chain:
    """Several codings, undone in reverse order of application (RFC 9110 §8.4)."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def decode(self, data: bytes) -> bytes:
        for decoder in self._decoders:
            data = decoder.decode(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for decoder in self._decoders:
            data = decoder.decode(data) + decoder.flush() if data else decoder.flush()
        return data


def make_decoder(codings: list[bytes]) -> Decoder | None:
    """A decoder for the Content-Encoding list ``codings`` (in order applied), or None.

    Unknown codings raise :class:`DecodingError` rather than hand back bytes the caller would
    mistake for the representation.
    """
    decoders: list[Decoder] = []
    for coding in reversed(codings):
        coding = coding.strip().lower()
        if coding in (b"gzip", b"x-gzip"):
            decoders.append(_GzipDecoder())
        elif coding == b"deflate":
            decoders.append(_DeflateDecoder())
        elif coding == b"br" and _brotli is not None:
            decoders.append(_BrotliDecoder())
        elif coding in (b"identity", b""):
            continue
        else:
            raise DecodingError(f"unsupported Content-Encoding {coding.decode('latin-1')!r}")
    if not decoders:
        return None
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)


def charset_from_content_type(content_type: bytes | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value if Python knows the codec (§8.3.2)."""
    if not content_type:
        return None
    for param in content_type.split(b";")[1:]:
        name, _, value = param.partition(b"=")
        if name.strip().lower() == b"charset":
            charset = value.strip().strip(b'"').decode("latin-1")
            try:
                return codecs.lookup(charset).name
            except LookupError:
                return None
    return None


def decode_text(content: bytes, content_type: bytes | None, default: str = "utf-8") -> str:
    """Body text: the declared charset, else UTF-8 (a BOM wins), undecodable bytes replaced."""
    charset = charset_from_content_type(content_type)
    if charset is None:
        if content.startswith(codecs.BOM_UTF8):
            return content[3:].decode("utf-8", errors="replace")
        charset = default
    return content.decode(charset, errors="replace")
