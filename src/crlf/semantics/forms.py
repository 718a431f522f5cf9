"""HTML form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

The seed's session posts a urlencoded form (``name=Juan%20Garcia&request=Envieme...``). That
format is parsed by the standard library (:func:`urllib.parse.parse_qsl`) in strict mode with
limits; ``multipart/form-data`` (RFC 7578) is parsed by the optional python-multipart package,
the parser Starlette and FastAPI use: crlf does not carry a multipart parser of its own.
Both take the whole body as bytes (the caller has already bounded its size, e.g. by the
server's body limit) and return plain values; nothing here does I/O.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from .fields import parse_media_type

__all__ = [
    "MAX_FIELDS",
    "MAX_URLENCODED_SIZE",
    "FormPart",
    "parse_multipart",
    "parse_urlencoded",
]

MAX_FIELDS = 1000  # Starlette max_fields 1000; Django DATA_UPLOAD_MAX_NUMBER_FIELDS 1000
"""The most fields (or parts) a form may have."""

MAX_URLENCODED_SIZE = 1024 * 1024  # Starlette/Django 2.5 MiB memory limit; PHP post_max_size 8M
"""The largest urlencoded body :func:`parse_urlencoded` accepts, in bytes."""

_MULTIPART_HINT = (
    "multipart/form-data needs the python-multipart package: pip install 'crlf[multipart]'"
)


def parse_urlencoded(
    body: bytes,
    *,
    encoding: str = "utf-8",
    max_fields: int = MAX_FIELDS,
    max_size: int = MAX_URLENCODED_SIZE,
) -> list[tuple[str, str]]:
    """Parse an ``application/x-www-form-urlencoded`` body (WHATWG URL §5.1, HTML forms).

    Strict: every field needs ``=`` (blank values are kept), the body must be ASCII (browsers
    percent-encode everything else), and percent-escapes must decode in ``encoding``. ``+`` is a
    space. A trailing ``&`` is tolerated; empty fields in the middle are not.

    Args:
        body: the request body.
        encoding: the charset the form was submitted in (the page's, normally UTF-8).
        max_fields: more fields than this is an error.
        max_size: a longer body is an error.

    Returns:
        ``(name, value)`` pairs in order; repeated names repeat.

    Raises:
        ValueError: the body is too long, has too many fields, is not ASCII, has a field
            without ``=``, or an escape that does not decode.
    """
    if len(body) > max_size:
        raise ValueError(f"form body larger than {max_size} bytes")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("form body is not ASCII (unescaped bytes)") from None
    if text.endswith("&"):
        text = text[:-1]  # what a few hand-written clients send; nothing is lost
    if not text:
        return []
    try:
        return urllib.parse.parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            encoding=encoding,
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError:
        raise ValueError(f"form field does not decode as {encoding}") from None
    except ValueError as exc:
        raise ValueError(f"invalid form body: {exc}") from None


@dataclass(frozen=True, slots=True)
class FormPart:
    """One part of a ``multipart/form-data`` body (RFC 7578 §4).

    Args:
        name: the field name from Content-Disposition.
        data: the raw content.
        filename: the file name for file inputs (path components stripped), else ``None``.
        content_type: the part's Content-Type, if it had one (RFC 7578 §4.4 default:
            ``text/plain``).
        headers: every header of the part, names lowercased.
    """

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = field(default=(), repr=False)

    def text(self, encoding: str = "utf-8") -> str:
        """The content decoded as text (strict: invalid bytes raise UnicodeDecodeError)."""
        return self.data.decode(encoding)


class _Collector:
    """Callbacks for python-multipart's streaming parser that gather whole parts."""

    def __init__(self, max_parts: int) -> None:
        self.max_parts = max_parts
        self.parts: list[tuple[list[tuple[bytes, bytes]], bytes]] = []
        self.ended = False
        self._headers: list[tuple[bytes, bytes]] = []
        self._field = bytearray()
        self._value = bytearray()
        self._data = bytearray()

    def on_part_begin(self) -> None:
        if len(self.parts) >= self.max_parts:
            raise ValueError(f"more than {self.max_parts} form parts")
        self._headers = []
        self._data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers.append((bytes(self._field).strip().lower(), bytes(self._value).strip()))
        self._field = bytearray()
        self._value = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._data += data[start:end]

    def on_part_end(self) -> None:
        self.parts.append((self._headers, bytes(self._data)))

    def on_end(self) -> None:
        self.ended = True


def parse_multipart(
    body: bytes,
    content_type: bytes | str,
    *,
    encoding: str = "utf-8",
    max_parts: int = MAX_FIELDS,
) -> list[FormPart]:
    """Parse a ``multipart/form-data`` body (RFC 7578) with python-multipart.

    Args:
        body: the whole request body.
        content_type: the request's Content-Type, with its ``boundary`` parameter.
        encoding: how names and file names are encoded (browsers send the page's charset).
        max_parts: more parts than this is an error.

    Returns:
        The parts, in order.

    Raises:
        ImportError: python-multipart is not installed (``pip install 'crlf[multipart]'``).
        ValueError: the content type is not multipart/form-data with a boundary, the body is
            malformed or truncated, a part has no ``form-data`` disposition with a name, or
            there are too many parts.
    """
    try:
        from python_multipart.multipart import MultipartParser, parse_options_header
    except ImportError as exc:
        raise ImportError(_MULTIPART_HINT) from exc
    if isinstance(content_type, str):
        content_type = content_type.encode("latin-1")
    parsed = parse_media_type(content_type)
    if parsed is None or parsed[0] != b"multipart/form-data":
        raise ValueError("not a multipart/form-data content type")
    boundary = parsed[1].get(b"boundary")
    if not boundary:
        raise ValueError("multipart/form-data without a boundary parameter")
    collector = _Collector(max_parts)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.on_part_begin,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_end": collector.on_end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except ValueError as exc:  # MultipartParseError is one, and so is the part limit's
        raise ValueError(f"malformed multipart body: {exc}") from None
    if not collector.ended:
        raise ValueError("truncated multipart body: no closing boundary")
    parts: list[FormPart] = []
    for headers, data in collector.parts:
        fields = dict(headers)
        disposition, params = parse_options_header(fields.get(b"content-disposition"))
        name = params.get(b"name")
        if disposition != b"form-data" or name is None:
            raise ValueError("form part without a form-data Content-Disposition name")
        filename = params.get(b"filename")
        part_type = fields.get(b"content-type")
        try:
            parts.append(
                FormPart(
                    name=name.decode(encoding),
                    data=data,
                    filename=None if filename is None else filename.decode(encoding),
                    content_type=None if part_type is None else part_type.decode("latin-1"),
                    headers=tuple(headers),
                )
            )
        except UnicodeDecodeError:
            raise ValueError(f"form part name does not decode as {encoding}") from None
    return parts
