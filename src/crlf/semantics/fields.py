"""Field-value helpers: lists, tokens, quoted strings, parameters, q-values (RFC 9110 §5.6).

Everything works on bytes, as field values arrive (RFC 9110 §5.5 allows obs-text, so values
are never decoded here). Parsers are lenient where RFC 9110 asks recipients to be (empty list
elements, OWS around delimiters) and strict elsewhere: a malformed element is dropped whole, never
half-understood, because a half-read ``Accept`` or ``If-None-Match`` is worse than none.
"""

from __future__ import annotations

import re
from typing import Literal

from ._etag import ETag

__all__ = [
    "is_token",
    "parse_etag_list",
    "parse_media_type",
    "parse_parameters",
    "parse_weighted",
    "quote_string",
    "split_list",
    "unquote_string",
]

# RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
#                          / "`" / "|" / "~" / DIGIT / ALPHA
_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN = re.compile(_TCHAR + rb"+")
# RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
#   qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
#   quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
_QUOTED_STRING = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_QUOTED_STRING_RE = re.compile(_QUOTED_STRING)
_QUOTED_PAIR = re.compile(rb"\\(.)", re.DOTALL)
# Bytes quote_string refuses: CTLs other than HTAB, and DEL (not in qdtext nor quoted-pair).
_NOT_QUOTABLE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9110 §5.6.6: parameter = parameter-name "=" parameter-value, preceded by OWS ";" OWS.
# The whole parameters production is matched one parameter at a time, anchored.
_PARAMETER = re.compile(
    rb"[ \t]*;[ \t]*(?:(" + _TCHAR + rb"+)=(" + _TCHAR + rb"+|" + _QUOTED_STRING + rb"))?"
)
# An element of a comma list: runs of non-special bytes, or whole quoted strings (RFC 9110 §5.6.1).
_LIST_ELEMENT = re.compile(rb'(?:[^,"]|' + _QUOTED_STRING + rb")*")
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(rb"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# The thing being weighted: a token (coding, language range, "*") or a media range type/subtype.
_WEIGHTED_ITEM = re.compile(_TCHAR + rb"+(?:/" + _TCHAR + rb"+)?")
# RFC 8288-free media type: type "/" subtype, both tokens (RFC 9110 §8.3.1).
_MEDIA_TYPE = re.compile(_TCHAR + rb"+/" + _TCHAR + rb"+")
# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; weak = %s"W/"; opaque-tag = DQUOTE *etagc
# DQUOTE. etagc has no escapes and may contain commas, so a list is scanned tag by tag.
_ETAG_ELEMENT = re.compile(rb'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)')
_OWS = b" \t"


def split_list(value: bytes) -> list[bytes]:
    """Split a comma-separated list field value into its elements (RFC 9110 §5.6.1).

    OWS around elements is trimmed and empty elements are dropped (recipients "MUST accept
    empty list elements"). Commas inside quoted strings do not split. An unterminated quoted
    string runs to the end of the value.

    Args:
        value: the field value (combine repeated fields with ``b", "`` first).

    Returns:
        The non-empty elements, unchanged apart from the trimming, e.g.
        ``split_list(b'a, , b;x="1,2"') == [b"a", b'b;x="1,2"']``.
    """
    if b'"' not in value:  # the common case: no quoting, one C-speed split
        elements = value.split(b",")
    else:
        elements = []
        pos, end = 0, len(value)
        while pos <= end:
            # Always matches (possibly empty); an unmatched DQUOTE stops it, so swallow the rest.
            match = _LIST_ELEMENT.match(value, pos)
            assert match is not None  # the pattern matches the empty string
            stop = match.end()
            if stop < end and value[stop] == 0x22:  # unterminated quoted string
                stop = end
            elements.append(value[pos:stop])
            pos = stop + 1
    return [stripped for element in elements if (stripped := element.strip(_OWS))]


def is_token(value: bytes) -> bool:
    """Whether ``value`` is a token: one or more tchar (RFC 9110 §5.6.2)."""
    return _TOKEN.fullmatch(value) is not None


def quote_string(value: bytes) -> bytes:
    """Quote ``value`` as a quoted-string, escaping DQUOTE and backslash (RFC 9110 §5.6.4).

    Args:
        value: the raw bytes.

    Returns:
        ``b'"' + escaped + b'"'``; always quoted, even when ``value`` is a token.

    Raises:
        ValueError: ``value`` contains a control character other than HTAB, or DEL: a
            quoted-string cannot carry them, and CR/LF would split the header.
    """
    if _NOT_QUOTABLE.search(value) is not None:
        raise ValueError("value contains control characters that cannot be quoted")
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def unquote_string(value: bytes) -> bytes:
    """Undo :func:`quote_string`: strip the quotes and the quoted-pair backslashes (§5.6.4).

    Args:
        value: a quoted-string, or a token (returned as it is).

    Returns:
        The content.

    Raises:
        ValueError: ``value`` starts with DQUOTE but is not exactly one valid quoted-string.
    """
    if not value.startswith(b'"'):
        return value
    if _QUOTED_STRING_RE.fullmatch(value) is None:
        raise ValueError(f"invalid quoted-string: {value!r}")
    return _QUOTED_PAIR.sub(rb"\1", value[1:-1])


def _parse_parameters(value: bytes, pos: int = 0) -> dict[bytes, bytes] | None:
    """Parse ``*( OWS ";" OWS [ parameter ] )`` from ``pos`` to the end, or ``None`` if invalid."""
    params: dict[bytes, bytes] = {}
    end = len(value.rstrip(_OWS))
    while pos < end:
        match = _PARAMETER.match(value, pos)
        if match is None:
            return None
        name, raw = match.groups()
        pos = match.end()
        if name is None:
            continue  # an empty parameter (";;") is allowed by the grammar
        # §5.6.6: parameter names are case-insensitive; the first occurrence wins.
        params.setdefault(name.lower(), unquote_string(raw))
    # The loop ends at ``end`` or just past it (a final ";" may take the trailing OWS).
    return params


def parse_parameters(value: bytes) -> dict[bytes, bytes]:
    """Parse parameters: ``; name=value; name="quoted"`` (RFC 9110 §5.6.6).

    Args:
        value: the parameters, starting at (optional whitespace and) the first ``;``. Empty
            input gives no parameters.

    Returns:
        Lowercased names mapped to values (quoted strings unquoted). A repeated name keeps its
        first value.

    Raises:
        ValueError: the syntax is invalid (e.g. no ``=``, a space around ``=``, bad quoting).
    """
    params = _parse_parameters(value)
    if params is None:
        raise ValueError(f"invalid parameters: {value!r}")
    return params


def parse_media_type(value: bytes) -> tuple[bytes, dict[bytes, bytes]] | None:
    """Parse a Content-Type-style value: ``type/subtype`` and its parameters (RFC 9110 §8.3.1).

    Args:
        value: e.g. ``b'multipart/form-data; boundary="abc"'``.

    Returns:
        ``(b"type/subtype" lowercased, parameters)`` or ``None`` when the value is invalid.
    """
    semicolon = value.find(b";")
    head = value if semicolon < 0 else value[:semicolon]
    media_type = head.strip(_OWS)
    if _MEDIA_TYPE.fullmatch(media_type) is None:
        return None
    params = {} if semicolon < 0 else _parse_parameters(value, semicolon)
    if params is None:
        return None
    return media_type.lower(), params


def parse_weighted(value: bytes | None) -> list[tuple[bytes, float, dict[bytes, bytes]]]:
    """Parse a list of weighted elements: Accept, Accept-Language, Accept-Encoding, TE.

    RFC 9110 §12.4.2: each element may carry ``;q=`` with a qvalue from 0 to 1 and at most three
    decimals; a missing weight is 1. An element whose weight or syntax is invalid is dropped
    (the rest of the field is still used), so ``q=2`` or ``q=0.1234`` never promotes anything.

    Args:
        value: the field value, or ``None`` when the field is absent (gives ``[]``).

    Returns:
        ``(item lowercased, q, other parameters)`` in the received order (``sorted`` them by
        ``-q`` for preference; the sort is stable). The item is a token (``gzip``, ``fr-ca``,
        ``*``) or a media range (``text/html``, ``*/*``); parameters exclude ``q``.
    """
    if not value:
        return []
    result: list[tuple[bytes, float, dict[bytes, bytes]]] = []
    for element in split_list(value):
        semicolon = element.find(b";")
        item = (element if semicolon < 0 else element[:semicolon]).rstrip(_OWS)
        if _WEIGHTED_ITEM.fullmatch(item) is None:
            continue
        params = {} if semicolon < 0 else _parse_parameters(element, semicolon)
        if params is None:
            continue
        weight = params.pop(b"q", None)
        if weight is None:
            q = 1.0
        elif _QVALUE.fullmatch(weight) is not None:
            q = float(weight)
        else:
            continue
        result.append((item.lower(), q, params))
    return result


def parse_etag_list(value: bytes) -> list[ETag] | Literal["*"]:
    """Parse If-Match / If-None-Match: ``"*"`` or a list of entity-tags (RFC 9110 §13.1.1-2).

    Only the ``W/`` prefix marks a weak tag; nothing else is stripped (``" W/x"`` is not weak,
    and a tag's own characters such as ``W`` or ``/`` are kept). Entity-tags may contain commas,
    so the list is scanned tag by tag. A malformed element (no quotes, bad characters) is skipped
    up to the next comma: it can only match nothing.

    Args:
        value: the field value (combine repeated fields with ``b", "`` first).

    Returns:
        The string ``"*"`` when the value is ``*``, else the entity-tags in order (possibly
        empty when nothing was valid).
    """
    stripped = value.strip(_OWS)
    if stripped == b"*":
        return "*"
    tags: list[ETag] = []
    pos, end = 0, len(stripped)
    while pos < end:
        match = _ETAG_ELEMENT.match(stripped, pos)
        if match is None:
            comma = stripped.find(b",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        weak, tag = match.groups()
        tags.append(ETag(tag.decode("latin-1"), weak is not None))
        pos = match.end()
    return tags
