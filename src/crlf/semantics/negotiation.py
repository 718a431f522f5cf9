"""Proactive content negotiation: Accept-Language, Accept-Encoding, Accept (RFC 9110 §12).

The server picks among variants it has (a page in several languages, a file and its
precompressed ``.br``/``.gz`` siblings) using the client's weighted preferences (§12.4.2). crlf
never answers 406 for a language: §12.1 lets a server disregard the preference and send a
default, which is more useful to a person than an error page. The caller adds ``Vary``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .fields import parse_media_type, parse_weighted

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["negotiate_encoding", "negotiate_language", "negotiate_media_type"]

# How a language range matched a tag, best first; used to pick which range's weight applies.
_EXACT = 3  # "fr-ca" for "fr-CA"
_PREFIX = 2  # "fr" for "fr-CA": RFC 4647 §3.3.1 basic filtering
_FALLBACK = 1  # "fr-ca" for "fr": RFC 4647 §3.4 lookup, which truncates the range
_WILDCARD = 0  # "*"


def _language_match(language_range: bytes, tag: bytes) -> int | None:
    """How ``language_range`` matches ``tag`` (both lowercase), or ``None``."""
    if language_range == tag:
        return _EXACT
    if language_range == b"*":
        return _WILDCARD
    if tag.startswith(language_range) and tag[len(language_range)] == 0x2D:  # "-"
        return _PREFIX
    if language_range.startswith(tag) and language_range[len(tag)] == 0x2D:
        return _FALLBACK
    return None


def negotiate_language(
    accept_language: bytes | None, available: Sequence[str], default: str
) -> str:
    """Choose a language variant by Accept-Language (RFC 9110 §12.5.4, RFC 4647).

    Matching is case-insensitive and goes both ways along the subtag hierarchy:

    * a range matches its own tag and every tag it is a prefix of (RFC 4647 basic filtering):
      ``fr`` takes ``fr-CA`` when that is the only French variant;
    * a range also matches the tags it truncates to (RFC 4647 lookup): ``fr-CA`` takes ``fr``,
      so the seed's French page is served to Canadian French browsers;
    * ``*`` matches everything not otherwise listed.

    A variant's weight comes from the best-matching range (exact, then longest prefix, then
    truncation, then ``*``), so ``fr-CA;q=0`` excludes ``fr-CA`` even with ``fr;q=1``, and
    ``*;q=0`` excludes what is not listed. The variant with the highest weight wins; ties go to
    the variant whose range comes first in the header (browsers list their preferences in
    order even when they omit q), then the closer match, then the order of ``available``.

    Args:
        accept_language: the field value, or ``None`` when absent.
        available: the variants' language tags, e.g. ``["en", "fr", "es"]``.
        default: what to answer when nothing acceptable is available (or no header was sent):
            never a 406 (§12.1).

    Returns:
        One of ``available`` (as spelled there), or ``default``.
    """
    preferences = parse_weighted(accept_language)
    best: tuple[float, int, int, int] | None = None
    chosen = default
    for index, language in enumerate(available):
        tag = language.lower().encode("ascii", "replace")
        # The weight of the best-matching range: (kind, range length) orders specificity.
        match: tuple[int, int, float, int] | None = None
        for position, (language_range, q, _params) in enumerate(preferences):
            kind = _language_match(language_range, tag)
            if kind is not None:
                candidate = (kind, len(language_range), q, position)
                if match is None or candidate[:2] > match[:2]:
                    match = candidate
        if match is None or match[2] <= 0:
            continue  # not acceptable (§12.4.2: q=0 means "not acceptable")
        kind, _length, q, position = match
        key = (q, -position, kind, -index)
        if best is None or key > best:
            best, chosen = key, language
    return chosen


# RFC 9110 §8.4.1.3 and §8.4.1.1: recipients SHOULD treat x-gzip as gzip, x-compress as compress.
_ALIASES = {b"x-gzip": b"gzip", b"x-compress": b"compress"}
# Implicit "identity" ranks below any coding the client listed (but is still acceptable).
_IMPLICIT_IDENTITY = 0.0001


def negotiate_encoding(accept_encoding: bytes | None, available: Sequence[str]) -> str | None:
    """Choose a content coding by Accept-Encoding (RFC 9110 §12.5.3).

    ``available`` lists the codings the server can send, in its order of preference, with
    ``"identity"`` for the unencoded representation (e.g. ``["br", "gzip", "identity"]`` when
    both precompressed siblings exist). The rules of §12.5.3:

    * no Accept-Encoding field: any coding is acceptable, but crlf answers ``identity`` when it
      is available (a client that says nothing may not decode; RFC 9110 permits either);
    * an empty field: only ``identity``;
    * otherwise a coding's weight is its own entry's q, else ``*``'s; ``identity`` is acceptable
      unless ``identity;q=0`` or ``*;q=0`` (without an ``identity`` entry) excludes it, and when
      not listed it ranks below every listed coding. ``x-gzip`` counts as ``gzip``.

    The highest weight wins; ties go to the order of ``available``.

    Args:
        accept_encoding: the field value, or ``None`` when absent.
        available: the codings on offer (case-insensitive names).

    Returns:
        One of ``available`` (as spelled there), or ``None`` when none is acceptable: the
        server may then answer 406, or send the identity representation anyway (§12.5.3
        allows it when identity was not ruled out, which is when it was not available here).
    """
    lowered = [(coding, coding.lower().encode("ascii", "replace")) for coding in available]
    if accept_encoding is None:
        for coding, name in lowered:
            if name == b"identity":
                return coding
        return available[0] if available else None
    weights: dict[bytes, float] = {}
    for name, q, _params in parse_weighted(accept_encoding):
        weights.setdefault(_ALIASES.get(name, name), q)  # the first entry for a coding wins
    star = weights.get(b"*")
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for index, (coding, name) in enumerate(lowered):
        weight = weights.get(name)
        if weight is None:
            if star is not None:
                weight = star
            elif name == b"identity":
                weight = _IMPLICIT_IDENTITY
            else:
                continue
        if weight <= 0:
            continue
        key = (weight, -index)
        if best is None or key > best:
            best, chosen = key, coding
    return chosen


def negotiate_media_type(accept: bytes | None, available: Sequence[str]) -> str | None:
    """Choose a media type by Accept (RFC 9110 §12.5.1), e.g. HTML or JSON for an error page.

    A media type's weight comes from the most specific range that matches it (§12.5.1: "the
    most specific reference has precedence"): ``type/subtype`` with parameters (each must be
    among the offered type's, compared case-insensitively), then ``type/subtype``, then
    ``type/*``, then ``*/*``. The highest weight wins; ties go to the order of ``available``.

    Args:
        accept: the Accept field value, or ``None`` when absent (any type is acceptable).
        available: the media types on offer, parameters allowed
            (``"text/html; charset=utf-8"``), in the server's order of preference.

    Returns:
        One of ``available`` (as spelled there), or ``None`` when none is acceptable (answer
        406, or disregard the header and send the first: §12.1 allows either).
    """
    if accept is None:
        return available[0] if available else None
    ranges: list[tuple[bytes, bytes, dict[bytes, bytes], float]] = []
    for media_range, q, params in parse_weighted(accept):
        main, slash, sub = media_range.partition(b"/")
        if slash and (main != b"*" or sub == b"*"):  # "*/html" is not a media range
            ranges.append((main, sub, {k: v.lower() for k, v in params.items()}, q))
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for index, offered in enumerate(available):
        parsed = parse_media_type(offered.encode("latin-1", "replace"))
        if parsed is None:
            continue
        main, _, sub = parsed[0].partition(b"/")
        offered_params = {k: v.lower() for k, v in parsed[1].items()}
        # (specificity, q) of the most specific matching range.
        match: tuple[int, float] | None = None
        for range_main, range_sub, params, q in ranges:
            if range_main == b"*":
                specificity = 0
            elif range_main != main:
                continue
            elif range_sub == b"*":
                specificity = 1
            elif range_sub != sub:
                continue
            elif not params:
                specificity = 2
            elif all(offered_params.get(k) == v for k, v in params.items()):
                specificity = 2 + len(params)
            else:
                continue
            if match is None or specificity > match[0]:
                match = (specificity, q)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], -index)
        if best is None or key > best:
            best, chosen = key, offered
    return chosen
