"""Request bodies: raw content, urlencoded and multipart forms, JSON, streamed uploads.

Every body becomes a :class:`RequestBody`: its ``Content-Type`` and ``Content-Length`` header
values and either the whole payload as bytes or an iterable of chunks. A body whose length is not
known in advance is sent with ``Transfer-Encoding: chunked`` (RFC 9112 §7.1); a form with files
from seekable file objects keeps a known length and streams the files without loading them.
"""

from __future__ import annotations

import io
import json as jsonlib
import os
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any
from urllib.parse import urlencode

__all__ = [
    "FileTypes",
    "RequestBody",
    "encode_body",
    "encode_multipart",
]

CHUNK_SIZE = 64 * 1024  # one read of a file being uploaded: urllib3 and httpx use 16-64 KiB

FileContent = IO[bytes] | bytes | str
FileTypes = (
    FileContent
    | tuple[str | None, FileContent]
    | tuple[str | None, FileContent, str | None]
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
DataTypes = Mapping[str, Any] | Sequence[tuple[str, Any]]
ContentTypes = (
    bytes | bytearray | memoryview | str | IO[bytes] | Iterable[bytes] | AsyncIterable[bytes]
)


class RequestBody:
    """An encoded request body.

    Attributes:
        content_type: the ``Content-Type`` to send, or ``None`` to leave it to the caller.
        length: the byte length, or ``None`` when unknown (then the body goes out chunked).
        data: the whole payload, when it is in memory.
        stream: an iterable (or async iterable) of byte chunks, when it is not.
        replayable: whether :meth:`chunks` may be called again (for a 307/308 redirect or a retry).
    """

    __slots__ = ("_parts", "content_type", "data", "length", "replayable", "stream")

    def __init__(
        self,
        *,
        content_type: str | None = None,
        data: bytes | None = None,
        stream: Iterable[bytes] | AsyncIterable[bytes] | None = None,
        length: int | None = None,
        replayable: bool = True,
        parts: list[bytes | tuple[IO[bytes], int, int]] | None = None,
    ) -> None:
        self.content_type = content_type
        self.data = data
        self.stream = stream
        self.length = len(data) if data is not None else length
        self.replayable = replayable
        self._parts = parts

    @property
    def is_async(self) -> bool:
        """Whether the chunks come from an async iterable (only AsyncClient can send those)."""
        return self.stream is not None and not isinstance(self.stream, Iterable)

    def chunks(self) -> Iterator[bytes]:
        """The payload as a sequence of byte chunks (files are read :data:`CHUNK_SIZE` at a time)."""
        if self.data is not None:
            if self.data:
                yield self.data
            return
        if self._parts is not None:
            yield from _iter_parts(self._parts)
            return
        assert isinstance(self.stream, Iterable)
        for chunk in self.stream:
            item: Any = chunk  # users pass str or memoryview pieces too
            if isinstance(item, str):
                item = item.encode("utf-8")
            if item:
                yield item if type(item) is bytes else bytes(item)


def _iter_parts(parts: list[bytes | tuple[IO[bytes], int, int]]) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, bytes):
            yield part
            continue
        fileobj, start, size = part
        fileobj.seek(start)  # replay-safe: every pass starts at the position we measured
        remaining = size
        while remaining > 0:
            block = fileobj.read(min(CHUNK_SIZE, remaining))
            if not block:
                raise OSError("file shrank while it was being uploaded")
            remaining -= len(block)
            yield block


def _file_size(fileobj: IO[bytes]) -> tuple[int, int] | None:
    """(start offset, remaining size) of a seekable file object, else None."""
    try:
        start = fileobj.tell()
        try:
            size = os.fstat(fileobj.fileno()).st_size - start
        except (AttributeError, OSError, io.UnsupportedOperation):
            end = fileobj.seek(0, io.SEEK_END)
            fileobj.seek(start)
            size = end - start
        return start, max(size, 0)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _pairs(data: DataTypes) -> list[tuple[str, str]]:
    items = data.items() if isinstance(data, Mapping) else data
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, list | tuple):
            pairs.extend((key, _form_value(v)) for v in value)
        else:
            pairs.append((key, _form_value(value)))
    return pairs


def _quote_param(value: str) -> str:
    # HTML "multipart/form-data encoding algorithm": escape ", CR and LF as %22 %0D %0A.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    data: DataTypes | None,
    files: Mapping[str, FileTypes] | Sequence[tuple[str, FileTypes]],
    boundary: str | None = None,
) -> RequestBody:
    """A ``multipart/form-data`` body (RFC 7578) of text fields then files.

    Args:
        data: text fields.
        files: name -> file object, bytes, or ``(filename, content[, content_type[, headers]])``.
        boundary: the delimiter; random by default.

    Returns:
        A body of known length when every file's size is known; files are streamed.
    """
    boundary = boundary or os.urandom(16).hex()
    delim = f"--{boundary}\r\n".encode("ascii")
    parts: list[bytes | tuple[IO[bytes], int, int]] = []
    known = True
    for name, value in _pairs(data) if data else []:
        parts.append(
            delim
            + f'Content-Disposition: form-data; name="{_quote_param(name)}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    file_items = files.items() if isinstance(files, Mapping) else files
    unknown_streams: list[IO[bytes]] = []
    for name, spec in file_items:
        filename: str | None
        content_type: str | None = None
        extra: Mapping[str, str] = {}
        if isinstance(spec, tuple):
            filename, content = spec[0], spec[1]
            if len(spec) > 2:
                content_type = spec[2]
            if len(spec) > 3:
                extra = spec[3]
        else:
            content = spec
            filename = getattr(spec, "name", None) if not isinstance(spec, bytes | str) else None
            if filename is not None:
                filename = os.path.basename(str(filename))
            else:
                filename = name if not isinstance(spec, bytes | str) else None
        disposition = f'Content-Disposition: form-data; name="{_quote_param(name)}"'
        if filename is not None:
            disposition += f'; filename="{_quote_param(filename)}"'
        head = disposition + "\r\n"
        if filename is not None or content_type:
            head += f"Content-Type: {content_type or _guess_type(filename)}\r\n"
        for key, val in extra.items():
            head += f"{key}: {val}\r\n"
        parts.append(delim + head.encode("utf-8") + b"\r\n")
        if isinstance(content, str):
            parts.append(content.encode("utf-8"))
        elif isinstance(content, bytes | bytearray | memoryview):
            parts.append(bytes(content))
        else:
            size = _file_size(content)
            if size is None:
                known = False
                unknown_streams.append(content)
                parts.append((content, -1, -1))
            else:
                parts.append((content, size[0], size[1]))
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    content_type = f"multipart/form-data; boundary={boundary}"
    if known:
        length = sum(len(p) if isinstance(p, bytes) else p[2] for p in parts)
        if all(isinstance(p, bytes) for p in parts):
            return RequestBody(content_type=content_type, data=b"".join(parts))  # type: ignore[arg-type]
        return RequestBody(content_type=content_type, length=length, parts=parts)
    return RequestBody(
        content_type=content_type, stream=_iter_unknown(parts), length=None, replayable=False
    )


def _iter_unknown(parts: list[bytes | tuple[IO[bytes], int, int]]) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, bytes):
            yield part
        else:
            while block := part[0].read(CHUNK_SIZE):
                yield block


def _guess_type(filename: str | None) -> str:
    import mimetypes

    if filename:
        guessed = mimetypes.guess_type(filename, strict=False)[0]
        if guessed:
            return guessed
    return "application/octet-stream"


def encode_body(
    *,
    content: ContentTypes | None = None,
    data: DataTypes | None = None,
    files: Mapping[str, FileTypes] | Sequence[tuple[str, FileTypes]] | None = None,
    json: Any = None,
) -> RequestBody | None:
    """Encode the one body a request may carry; ``None`` when there is none.

    Args:
        content: raw bytes/str, a file object, or an (async) iterable of byte chunks.
        data: form fields, urlencoded unless ``files`` is given.
        files: files for a ``multipart/form-data`` body.
        json: any JSON-serialisable value, sent compact as ``application/json`` in UTF-8.

    Raises:
        TypeError: when more than one kind of body is given or a value has the wrong type.
    """
    given = sum(x is not None for x in (content, json)) + (data is not None or files is not None)
    if given > 1:
        raise TypeError("pass only one of content=, data=/files= or json=")
    if files is not None:
        return encode_multipart(data, files)
    if data is not None:
        if isinstance(data, bytes | str):  # type: ignore[unreachable]  # untyped callers
            raise TypeError("data= takes form fields; pass raw bytes or text as content=")
        encoded = urlencode(_pairs(data)).encode("ascii")
        return RequestBody(content_type="application/x-www-form-urlencoded", data=encoded)
    if json is not None:
        payload = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return RequestBody(content_type="application/json", data=payload.encode("utf-8"))
    if content is None:
        return None
    if isinstance(content, str):
        return RequestBody(data=content.encode("utf-8"))
    if isinstance(content, bytes):
        return RequestBody(data=content)
    if isinstance(content, bytearray | memoryview):
        return RequestBody(data=bytes(content))
    if hasattr(content, "read"):
        fileobj: IO[bytes] = content  # type: ignore[assignment]
        size = _file_size(fileobj)
        if size is not None:
            return RequestBody(length=size[1], parts=[(fileobj, size[0], size[1])])
        return RequestBody(stream=_iter_unknown([(fileobj, -1, -1)]), replayable=False)
    if isinstance(content, Iterable | AsyncIterable):
        replayable = isinstance(content, list | tuple)
        return RequestBody(stream=content, replayable=replayable)  # type: ignore[arg-type]
    raise TypeError(f"unsupported content type {type(content).__name__}")
