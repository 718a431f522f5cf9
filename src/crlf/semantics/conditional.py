"""Validators and conditional requests (RFC 9110 §8.8 and §13).

Theory of operation
-------------------
A static-file response carries two validators: a strong entity-tag (:func:`make_etag`) and a
Last-Modified date. A request may make itself conditional on them with five fields, and the order
in which a server evaluates them is fixed by RFC 9110 §13.2.2::

    1. If-Match present?          none matches (strong)         -> 412
       else If-Unmodified-Since?  modified after the date       -> 412
    2. If-None-Match present?     one matches (weak)            -> 304 for GET/HEAD, else 412
       else If-Modified-Since?    (GET/HEAD only) not modified  -> 304
    3. Range + If-Range           (done by the caller with :func:`if_range_allows`)
    4. otherwise                  perform the method

:func:`evaluate` implements steps 1 and 2 and returns an :class:`Outcome`. Two consequences the
order encodes, which several servers got wrong: If-None-Match makes If-Modified-Since ignored
(a client that sends both means the entity-tag), and If-Match makes If-Unmodified-Since ignored.

§13.2.1: a server evaluates preconditions only when the response without them would have been a
2xx (or 412): the caller skips :func:`evaluate` for a missing file or a redirect.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Protocol

from crlf.protocol.headers import Headers

from ._etag import ETag
from .dates import parse_http_date
from .fields import parse_etag_list

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "ETag",
    "HeaderLookup",
    "Outcome",
    "Validators",
    "evaluate",
    "if_range_allows",
    "make_etag",
]


class _Getter(Protocol):
    """Anything with ``get(name) -> value | None``: a ``Mapping[bytes, bytes]`` or a Headers."""

    def get(self, key: bytes, /) -> bytes | None: ...


HeaderLookup = _Getter | Callable[[bytes], "bytes | None"]
"""Where :func:`evaluate` reads request fields: a :class:`crlf.protocol.Headers` (repeated fields
are combined), a ``Mapping`` from lowercased names to combined values, or a ``get(name)``
callable. Names are asked for in lowercase."""


class Outcome(enum.Enum):
    """What the preconditions decided (RFC 9110 §13.2.2)."""

    PROCEED = "proceed"
    """No precondition failed: perform the method (then look at Range and If-Range)."""
    NOT_MODIFIED = "not_modified"
    """Answer 304 Not Modified, with the validators and caching fields of a 200 (§15.4.5)."""
    PRECONDITION_FAILED = "precondition_failed"
    """Answer 412 Precondition Failed (§15.5.13)."""

    @property
    def status_code(self) -> HTTPStatus | None:
        """``304`` / ``412``, or ``None`` for :attr:`PROCEED`."""
        return _STATUS[self]


_STATUS = {
    Outcome.PROCEED: None,
    Outcome.NOT_MODIFIED: HTTPStatus.NOT_MODIFIED,
    Outcome.PRECONDITION_FAILED: HTTPStatus.PRECONDITION_FAILED,
}


@dataclass(frozen=True, slots=True)
class Validators:
    """The current representation's validators (RFC 9110 §8.8).

    Args:
        etag: its entity-tag, or ``None`` when it has none.
        last_modified: its Last-Modified as whole seconds since the epoch, or ``None``. Use
            the same second that the Last-Modified header shows (HTTP dates have no fractions).
        exists: whether a current representation exists; only ``If-Match: *`` and
            ``If-None-Match: *`` look at it (§13.1.1-§13.1.2). A static file that exists: leave
            it ``True``.
    """

    etag: ETag | None = None
    last_modified: int | None = None
    exists: bool = True


def make_etag(size: int, mtime_ns: int, inode: int | None = None) -> ETag:
    """A strong entity-tag for a file, from its metadata (RFC 9110 §8.8.3).

    Like nginx (``"<mtime hex>-<size hex>"``) but with nanoseconds, so two writes within one
    second that keep the size still change the tag; the inode (when given) catches a file
    replaced by another with the same size and time (an atomic rename). Strong is justified for
    a file served byte for byte: a change to its content changes the mtime.

    Args:
        size: file size in bytes (``st_size``).
        mtime_ns: modification time in nanoseconds (``st_mtime_ns``).
        inode: ``st_ino``, or ``None`` to leave it out (tags then survive a copy to a replica).

    Returns:
        A strong :class:`ETag`, e.g. ``"17f3a2b4c5d6e7f8-1a2b"``.
    """
    tag = f"{mtime_ns:x}-{size:x}" if inode is None else f"{inode:x}-{mtime_ns:x}-{size:x}"
    return ETag(tag)


def _lookup(headers: HeaderLookup) -> Callable[[bytes], bytes | None]:
    """A ``name -> combined value`` function over any :data:`HeaderLookup`."""
    if isinstance(headers, Headers):
        # RFC 9110 §5.3: repeated list fields combine with commas. A repeated date field becomes
        # a list, which parse_http_date rejects, so it is ignored as §13.1.3 requires.
        def combined(name: bytes) -> bytes | None:
            values = headers.get_all(name)
            return b", ".join(values) if values else None

        return combined
    if callable(headers):
        return headers
    return headers.get


def _any_match(tags: Iterable[ETag], current: ETag, *, strong: bool) -> bool:
    if strong:
        return any(tag.strong_match(current) for tag in tags)
    return any(tag.weak_match(current) for tag in tags)


def _if_match(value: bytes, validators: Validators) -> bool:
    """RFC 9110 §13.1.1: true for ``*`` with a representation, or a strong match."""
    tags = parse_etag_list(value)
    if tags == "*":
        return validators.exists
    return validators.etag is not None and _any_match(tags, validators.etag, strong=True)


def _if_none_match(value: bytes, validators: Validators) -> bool:
    """RFC 9110 §13.1.2: false for ``*`` with a representation, or a weak match."""
    tags = parse_etag_list(value)
    if tags == "*":
        return not validators.exists
    return validators.etag is None or not _any_match(tags, validators.etag, strong=False)


def evaluate(method: bytes, headers: HeaderLookup, validators: Validators) -> Outcome:
    """Evaluate a request's preconditions in the order of RFC 9110 §13.2.2.

    Args:
        method: the request method, e.g. ``b"GET"`` (case-sensitive, RFC 9110 §9.1).
        headers: the request fields (see :data:`HeaderLookup`): ``if-match``,
            ``if-unmodified-since``, ``if-none-match`` and ``if-modified-since`` are read.
        validators: the selected representation's current validators.

    Returns:
        :attr:`Outcome.PRECONDITION_FAILED` (412) when If-Match or If-Unmodified-Since fails,
        or If-None-Match fails on a method other than GET/HEAD; :attr:`Outcome.NOT_MODIFIED`
        (304) when If-None-Match, or failing that If-Modified-Since, fails on GET/HEAD;
        :attr:`Outcome.PROCEED` otherwise. Invalid dates, and date conditions on a
        representation without Last-Modified, are ignored (§13.1.3-§13.1.4).
    """
    get = _lookup(headers)
    # Step 1 (§13.2.2): If-Match, else If-Unmodified-Since.
    if_match = get(b"if-match")
    if if_match is not None:
        if not _if_match(if_match, validators):
            # §13.1.1 lets a state-changing method succeed if the change was already made;
            # detecting that needs the method's semantics: the caller can still do it.
            return Outcome.PRECONDITION_FAILED
    else:
        if_unmodified_since = get(b"if-unmodified-since")
        if if_unmodified_since is not None and validators.last_modified is not None:
            # §13.1.4: ignore it when the value is not a valid HTTP-date.
            date = parse_http_date(if_unmodified_since)
            if date is not None and validators.last_modified > date:
                return Outcome.PRECONDITION_FAILED
    # Step 2 (§13.2.2): If-None-Match, else If-Modified-Since (GET and HEAD only).
    safe_read = method in (b"GET", b"HEAD")
    if_none_match = get(b"if-none-match")
    if if_none_match is not None:
        if not _if_none_match(if_none_match, validators):
            return Outcome.NOT_MODIFIED if safe_read else Outcome.PRECONDITION_FAILED
    elif safe_read and validators.last_modified is not None:
        if_modified_since = get(b"if-modified-since")
        if if_modified_since is not None:
            # §13.1.3: ignore an invalid date (a list of dates is invalid too).
            date = parse_http_date(if_modified_since)
            if date is not None and validators.last_modified <= date:
                return Outcome.NOT_MODIFIED
    return Outcome.PROCEED


def if_range_allows(value: bytes | None, validators: Validators) -> bool:
    """Whether a Range request may be served partially under its If-Range (RFC 9110 §13.1.5).

    The caller ignores If-Range without a Range header (§13.1.5) and calls this only for a
    request that has both; ``True`` means "serve the ranges", ``False`` "serve the whole
    representation with 200".

    Args:
        value: the If-Range field value, or ``None`` when it is absent (always ``True``).
        validators: the current representation's validators.

    Returns:
        For an entity-tag: ``True`` only on a *strong* match (a weak tag, sent or current,
        never matches). For a date: ``True`` only when it equals Last-Modified exactly (the
        Last-Modified date is taken as a strong validator: crlf serves files whose mtime changes
        with their content). ``False`` for anything else, including an unparseable value.
    """
    if value is None:
        return True
    stripped = value.strip(b" \t")
    if stripped.startswith((b'"', b"W/")):
        tags = parse_etag_list(stripped)
        # Exactly one entity-tag, not a list and not "*" (If-Range = entity-tag / HTTP-date).
        if tags == "*" or len(tags) != 1 or validators.etag is None:
            return False
        return tags[0].strong_match(validators.etag)
    date = parse_http_date(stripped)
    return date is not None and date == validators.last_modified
