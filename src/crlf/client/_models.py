"""The client's public request and response objects.

:class:`Response` is built lazily: the connection hands over the parsed head and the raw body
bytes, and nothing else happens until the caller asks: ``headers`` wraps the protocol's
:class:`~crlf.protocol.Headers` on first use, ``content`` undoes Content-Encoding on first use,
``text`` picks the charset then. A benchmark loop that reads ``status_code`` and ``content`` of
an uncompressed response pays for two attribute reads and one header lookup.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from ..errors import HTTPStatusError
from ._decoders import decode_text, make_decoder

if TYPE_CHECKING:
    from ..protocol import Headers
    from ._urls import URL

__all__ = ["Request", "Response", "ResponseHeaders", "ResponseNotRead"]

_REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))


class ResponseNotRead(RuntimeError):
    """Raised when a streamed response's ``content`` is used before ``read()``/``aread()``."""


class ResponseHeaders(Mapping[str, str]):
    """A read-only, case-insensitive ``str`` view of header fields (values decoded as latin-1).

    ``headers["x"]`` joins repeated fields with ", " (RFC 9110 §5.3), except ``Set-Cookie``
    which cannot be combined: use :meth:`get_list` for it.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: Headers) -> None:
        self.raw = raw

    def __getitem__(self, name: str) -> str:
        values = self.raw.get_all(name.lower().encode("latin-1"))
        if not values:
            raise KeyError(name)
        return ", ".join(v.decode("latin-1") for v in values)

    def get_list(self, name: str) -> list[str]:
        """Every value of ``name``, one per field line."""
        return [v.decode("latin-1") for v in self.raw.get_all(name.lower().encode("latin-1"))]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower().encode("latin-1") in self.raw

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for name, _ in self.raw.items():
            seen.setdefault(name.decode("latin-1"), None)
        return iter(seen)

    def __len__(self) -> int:
        return len({name for name, _ in self.raw.items()})

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(lowercased name, value)`` pair, repeats kept, in received order."""
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self.raw.items()]

    def __repr__(self) -> str:
        return f"ResponseHeaders({self.multi_items()!r})"


class Request:
    """A request as sent (what ``response.request`` and redirect history refer to).

    Attributes:
        method: e.g. ``"GET"``.
        url: the :class:`URL`.
        headers: the fields sent, in order, as ``(name, value)`` bytes pairs (Host first).
    """

    __slots__ = ("headers", "method", "url")

    def __init__(self, method: str, url: URL, headers: list[tuple[bytes, bytes]]) -> None:
        self.method = method
        self.url = url
        self.headers = headers

    def __repr__(self) -> str:
        return f"<Request [{self.method} {self.url}]>"


class Response:
    """An HTTP response, with httpx/requests names.

    Attributes:
        status_code: e.g. ``200``.
        http_version: ``"HTTP/1.1"`` or ``"HTTP/1.0"``.
        url: the URL that gave this response (the last one after redirects).
        request: the :class:`Request` that was sent.
        history: the redirect responses that led here, oldest first.
        from_cache: True when served (or revalidated) from the client's HTTP cache.
    """

    __slots__ = (
        "_aiter",
        "_close",
        "_content",
        "_headers",
        "_iter",
        "_raw_body",
        "_reason",
        "_request",
        "_version",
        "encoded",
        "from_cache",
        "history",
        "raw_headers",
        "set_cookie",
        "status_code",
        "url",
    )

    def __init__(
        self,
        status_code: int,
        raw_headers: Headers,
        raw_body: bytes | None,
        reason: bytes = b"",
        http_version: bytes = b"1.1",
        url: URL | None = None,
        request: Any = None,
    ) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self._raw_body = raw_body
        self._reason = reason
        self._version = http_version
        self._content: bytes | None = None
        self._headers: ResponseHeaders | None = None
        self._iter: Iterator[bytes] | None = None
        self._aiter: AsyncIterator[bytes] | None = None
        self._close: Callable[[], Any] | None = None
        self.url = url
        self._request = request
        self.history: list[Response] = []
        self.from_cache = False
        self.set_cookie = False  # the connection saw a Set-Cookie field (the jar must look)
        self.encoded: bool | None = None  # has Content-Encoding; None: not looked at yet

    # ---------------------------------------------------------------- head --

    @property
    def request(self) -> Request | None:
        """The :class:`Request` that was sent (built on first use)."""
        r = self._request
        if r is not None and not isinstance(r, Request):
            r = self._request = r.public()
        return r  # type: ignore[no-any-return]

    @property
    def headers(self) -> ResponseHeaders:
        """The header fields as a case-insensitive ``str`` mapping."""
        h = self._headers
        if h is None:
            h = self._headers = ResponseHeaders(self.raw_headers)
        return h

    @property
    def reason_phrase(self) -> str:
        """The reason phrase sent, or the standard one when the server sent none."""
        if self._reason:
            return self._reason.decode("latin-1")
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def http_version(self) -> str:
        """``"HTTP/1.1"`` or ``"HTTP/1.0"``."""
        return "HTTP/" + self._version.decode("ascii")

    @property
    def is_success(self) -> bool:
        """2xx."""
        return 200 <= self.status_code < 300

    @property
    def ok(self) -> bool:
        """requests' name: below 400."""
        return self.status_code < 400

    @property
    def is_redirect(self) -> bool:
        """A redirect status with a Location (RFC 9110 §15.4)."""
        return self.status_code in _REDIRECT_STATUSES and b"location" in self.raw_headers

    @property
    def is_error(self) -> bool:
        """4xx or 5xx."""
        return self.status_code >= 400

    @property
    def encoding(self) -> str:
        """The charset ``text`` decodes with."""
        from ._decoders import charset_from_content_type

        return charset_from_content_type(self.raw_headers.get(b"content-type")) or "utf-8"

    def raise_for_status(self) -> Response:
        """Raise :class:`crlf.errors.HTTPStatusError` for a 4xx/5xx; return self otherwise."""
        code = self.status_code
        if code >= 400:
            kind = "Client error" if code < 500 else "Server error"
            raise HTTPStatusError(
                f"{kind} '{code} {self.reason_phrase}' for url '{self.url}'", status_code=code
            )
        return self

    # ---------------------------------------------------------------- body --

    def _decode_all(self, raw: bytes) -> bytes:
        codings = self.raw_headers.get_list(b"content-encoding")
        if not codings:
            return raw
        decoder = make_decoder(codings)
        if decoder is None:
            return raw
        return decoder.decode(raw) + decoder.flush()

    @property
    def content(self) -> bytes:
        """The body, Content-Encoding undone.

        Raises:
            ResponseNotRead: for a streamed response not read yet.
            crlf.errors.DecodingError: when the body does not decode.
        """
        content = self._content
        if content is not None:
            return content
        raw = self._raw_body
        if raw is None:
            raise ResponseNotRead("streamed response: call read() (or aread()) first")
        encoded = self.encoded
        if encoded is None:
            encoded = b"content-encoding" in self.raw_headers
        if not encoded:
            self._content = raw
            return raw
        self._content = content = self._decode_all(raw)
        return content

    @property
    def text(self) -> str:
        """The body as text: the Content-Type charset, else UTF-8 (RFC 9110 §8.3.2)."""
        return decode_text(self.content, self.raw_headers.get(b"content-type"))

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (RFC 8259: UTF-8, a BOM tolerated)."""
        content = self.content
        if content.startswith(b"\xef\xbb\xbf"):
            content = content[3:]
        return jsonlib.loads(content, **kwargs)

    def _attach_stream(
        self,
        it: Iterator[bytes] | None,
        ait: AsyncIterator[bytes] | None,
        close: Callable[[], Any],
    ) -> None:
        self._iter = it
        self._aiter = ait
        self._close = close

    def iter_raw(self) -> Iterator[bytes]:
        """The body as received (still Content-Encoded), chunk by chunk."""
        if self._raw_body is not None:
            if self._raw_body:
                yield self._raw_body
            return
        if self._iter is None:
            if self._close is None and self._aiter is None:
                raise RuntimeError("the body was already streamed; it is not kept")
            raise RuntimeError("this response streams asynchronously: use aiter_raw()")
        it, self._iter = self._iter, None
        try:
            yield from it
        finally:
            self.close()

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body decoded, chunk by chunk; ``chunk_size`` re-slices it when given."""
        if self._content is not None:
            chunks: Iterator[bytes] = iter([self._content] if self._content else [])
        else:
            chunks = self._decoded(self.iter_raw())
        yield from _rechunk(chunks, chunk_size)

    def _decoded(self, raw: Iterator[bytes]) -> Iterator[bytes]:
        decoder = make_decoder(self.raw_headers.get_list(b"content-encoding"))
        if decoder is None:
            yield from raw
            return
        for chunk in raw:
            out = decoder.decode(chunk)
            if out:
                yield out
        tail = decoder.flush()
        if tail:
            yield tail

    def iter_text(self) -> Iterator[str]:
        """The body as text, chunk by chunk (an incremental decoder keeps split characters)."""
        import codecs

        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        for chunk in self.iter_bytes():
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def iter_lines(self) -> Iterator[str]:
        """The body as text lines, without their line endings."""
        pending = ""
        for text in self.iter_text():
            pending += text
            *lines, pending = pending.splitlines(keepends=True) or [""]
            for line in lines:
                yield line.rstrip("\r\n")
            if pending.endswith("\r"):
                continue
        if pending:
            yield pending.rstrip("\r\n")

    def read(self) -> bytes:
        """Read the rest of a streamed body; returns :attr:`content`."""
        if self._raw_body is None and self._content is None:
            self._raw_body = b"".join(self.iter_raw())
        return self.content

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as received, chunk by chunk (AsyncClient streams)."""
        if self._raw_body is not None:
            if self._raw_body:
                yield self._raw_body
            return
        if self._aiter is None:
            raise RuntimeError("this response streams synchronously: use iter_raw()")
        ait, self._aiter = self._aiter, None
        try:
            async for chunk in ait:
                yield chunk
        finally:
            await self.aclose()

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body decoded, chunk by chunk (AsyncClient streams)."""
        if self._content is not None:
            for piece in _rechunk(iter([self._content] if self._content else []), chunk_size):
                yield piece
            return
        decoder = make_decoder(self.raw_headers.get_list(b"content-encoding"))
        buf = b""
        async for chunk in self.aiter_raw():
            out = decoder.decode(chunk) if decoder is not None else chunk
            if chunk_size is None:
                if out:
                    yield out
                continue
            buf += out
            while len(buf) >= chunk_size:
                yield buf[:chunk_size]
                buf = buf[chunk_size:]
        tail = decoder.flush() if decoder is not None else b""
        buf += tail
        if buf:
            yield buf

    async def aread(self) -> bytes:
        """Read the rest of a streamed body (AsyncClient); returns :attr:`content`."""
        if self._raw_body is None and self._content is None:
            parts = [chunk async for chunk in self.aiter_raw()]
            self._raw_body = b"".join(parts)
        return self.content

    def close(self) -> None:
        """Release the connection of a streamed response (discarding what was not read)."""
        close, self._close = self._close, None
        self._iter = None
        if close is not None:
            close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        close, self._close = self._close, None
        self._aiter = None
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<Response [{self.status_code} {self.reason_phrase}]>"


def _rechunk(chunks: Iterator[bytes], size: int | None) -> Iterator[bytes]:
    if size is None:
        yield from chunks
        return
    buf = b""
    for chunk in chunks:
        buf += chunk
        while len(buf) >= size:
            yield buf[:size]
            buf = buf[size:]
    if buf:
        yield buf
