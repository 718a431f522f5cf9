"""An optional private HTTP cache (RFC 9111), in memory.

What it does, by section:

- §3: stores final responses to GET whose status is understood, unless ``no-store`` (request or
  response); ``Authorization`` requests only when the response allows it (§3.5). ``private`` is
  fine: this is a private cache.
- §4.1: ``Vary`` selects by the request's field values; ``Vary: *`` never matches.
- §4.2: freshness lifetime from ``max-age``, else ``Expires - Date``, else the heuristic 10% of
  ``Date - Last-Modified`` for heuristically cacheable statuses (§4.2.2, capped at a day like
  Firefox); age per §4.2.3 (``Age`` + response delay + resident time).
- §4.3: a stale (or ``no-cache``) entry is revalidated with ``If-None-Match`` / ``If-Modified-
  Since``; a 304 refreshes the stored headers (§3.2) and the stored body is served.
- §4.4: an unsafe request that succeeds invalidates the target URI, ``Location`` and
  ``Content-Location`` of the same origin.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from email.utils import mktime_tz, parsedate_tz
from typing import TYPE_CHECKING

from ..protocol import Headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._urls import URL

__all__ = ["CacheEntry", "HTTPCache", "parse_http_date"]

# RFC 9110 §15.1 / RFC 9111 §4.2.2: statuses "heuristically cacheable" by default.
HEURISTIC_STATUSES = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
# Statuses crlf stores at all (206 needs range merging, which this cache does not do).
STORABLE_STATUSES = HEURISTIC_STATUSES - {206} | {302, 303, 307}
HEURISTIC_FRACTION = 0.1  # §4.2.2 "typical setting of this fraction might be 10%"
HEURISTIC_MAX = (
    24 * 3600.0
)  # Firefox caps heuristic freshness at a day (when Age > 24h, §4.2.2 warns)


def parse_http_date(value: bytes | None) -> float | None:
    """An HTTP-date (RFC 9110 §5.6.7, all three formats) as a timestamp; None if invalid."""
    if not value:
        return None
    parsed = parsedate_tz(value.decode("latin-1"))
    if parsed is None:
        return None
    try:
        return float(mktime_tz(parsed))
    except (OverflowError, ValueError):  # pragma: no cover
        return None


def parse_cache_control(headers: Headers) -> dict[bytes, bytes | None]:
    """Cache-Control directives (RFC 9111 §5.2), names lowercased, quoted values unquoted."""
    out: dict[bytes, bytes | None] = {}
    for item in headers.get_list(b"cache-control"):
        name, eq, value = item.partition(b"=")
        name = name.strip().lower()
        if name not in out:  # §4.2.1: with duplicates, use the first (conservative for max-age)
            out[name] = value.strip().strip(b'"') if eq else None
    return out


def _seconds(value: bytes | None) -> float | None:
    if value is None or not value.isdigit() or len(value) > 12:
        return None
    return float(value)


class CacheEntry:
    """A stored response (head and full body) with its timing, as §4.2.3 needs it."""

    __slots__ = (
        "body",
        "headers",
        "http_version",
        "reason",
        "request_time",
        "response_time",
        "status_code",
        "url",
        "vary",
    )

    def __init__(
        self,
        *,
        url: URL,
        status_code: int,
        reason: bytes,
        http_version: bytes,
        headers: Headers,
        body: bytes,
        request_time: float,
        response_time: float,
        vary: dict[bytes, bytes | None],
    ) -> None:
        self.url = url
        self.status_code = status_code
        self.reason = reason
        self.http_version = http_version
        self.headers = headers
        self.body = body
        self.request_time = request_time
        self.response_time = response_time
        self.vary = vary

    def freshness_lifetime(self) -> float:
        """RFC 9111 §4.2.1 (private cache: ``s-maxage`` does not apply)."""
        cc = parse_cache_control(self.headers)
        max_age = _seconds(cc.get(b"max-age"))
        if max_age is not None:
            return max_age
        date = parse_http_date(self.headers.get(b"date")) or self.response_time
        if b"expires" in self.headers:
            expires = parse_http_date(self.headers.get(b"expires"))
            return max(0.0, expires - date) if expires is not None else 0.0  # invalid = stale
        last_modified = parse_http_date(self.headers.get(b"last-modified"))
        if (
            last_modified is not None
            and self.status_code in HEURISTIC_STATUSES
            and b"no-cache" not in cc
        ):
            return min(HEURISTIC_MAX, max(0.0, (date - last_modified) * HEURISTIC_FRACTION))
        return 0.0

    def current_age(self, now: float) -> float:
        """RFC 9111 §4.2.3."""
        date = parse_http_date(self.headers.get(b"date")) or self.response_time
        apparent_age = max(0.0, self.response_time - date)
        age_value = _seconds(self.headers.get(b"age")) or 0.0
        response_delay = self.response_time - self.request_time
        corrected_initial_age = max(apparent_age, age_value + response_delay)
        return corrected_initial_age + (now - self.response_time)

    def is_fresh(self, now: float) -> bool:
        """Whether it may be served without contacting the origin (§4.2), ignoring request CC."""
        cc = parse_cache_control(self.headers)
        if b"no-cache" in cc:
            return False
        return self.freshness_lifetime() > self.current_age(now)

    def validators(self) -> list[tuple[bytes, bytes]]:
        """Conditional request fields for revalidation (RFC 9111 §4.3.1)."""
        out: list[tuple[bytes, bytes]] = []
        etag = self.headers.get(b"etag")
        if etag is not None:
            out.append((b"If-None-Match", etag))
        last_modified = self.headers.get(b"last-modified")
        if last_modified is not None:
            out.append((b"If-Modified-Since", last_modified))
        return out


class HTTPCache:
    """A private, in-memory RFC 9111 cache of GET responses.

    Args:
        max_entries: stored responses kept, least recently used evicted first.
        max_body_size: larger bodies are not stored.
        clock: seconds since the epoch (injectable so tests age entries without sleeping).
    """

    def __init__(
        self,
        *,
        max_entries: int = 1024,
        max_body_size: int = 10 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.max_body_size = max_body_size
        self.clock = clock
        self._entries: OrderedDict[str, list[CacheEntry]] = OrderedDict()

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def clear(self) -> None:
        """Drop every stored response."""
        self._entries.clear()

    def lookup(self, url: URL, request_headers: Headers) -> CacheEntry | None:
        """The stored response whose Vary'd fields match this request (§4.1), if any."""
        entries = self._entries.get(url.raw)
        if not entries:
            return None
        self._entries.move_to_end(url.raw)
        for entry in entries:
            if all(
                request_headers.get(name) == value and name != b"*"
                for name, value in entry.vary.items()
            ):
                return entry
        return None

    def store(
        self,
        url: URL,
        request_headers: Headers,
        status_code: int,
        reason: bytes,
        http_version: bytes,
        headers: Headers,
        body: bytes,
        request_time: float,
        response_time: float,
    ) -> CacheEntry | None:
        """Store a complete response to a GET if RFC 9111 §3 allows it; return the entry."""
        if status_code not in STORABLE_STATUSES or len(body) > self.max_body_size:
            return None
        req_cc = parse_cache_control(request_headers)
        cc = parse_cache_control(headers)
        if b"no-store" in req_cc or b"no-store" in cc:
            return None
        if b"authorization" in request_headers and not (
            b"public" in cc or b"must-revalidate" in cc or b"s-maxage" in cc
        ):
            return None  # §3.5
        vary_names = [v.lower() for v in headers.get_list(b"vary")]
        if b"*" in vary_names:
            return None  # §4.1: can never match; storing it would only waste room
        explicit = b"max-age" in cc or b"expires" in headers or b"public" in cc or b"private" in cc
        has_validator = b"etag" in headers or b"last-modified" in headers
        if not (explicit or has_validator or status_code in HEURISTIC_STATUSES):
            return None  # §3 last bullet: nothing makes it reusable
        if not explicit and not has_validator and status_code not in (200, 301, 308):
            return None
        entry = CacheEntry(
            url=url,
            status_code=status_code,
            reason=reason,
            http_version=http_version,
            headers=headers,
            body=body,
            request_time=request_time,
            response_time=response_time,
            vary={name: request_headers.get(name) for name in vary_names},
        )
        entries = [e for e in self._entries.get(url.raw, []) if e.vary != entry.vary]
        entries.insert(0, entry)
        self._entries[url.raw] = entries
        self._entries.move_to_end(url.raw)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry

    def freshen(
        self, entry: CacheEntry, not_modified: Headers, request_time: float, response_time: float
    ) -> None:
        """Update a stored entry with a 304's header fields (RFC 9111 §4.3.4, §3.2)."""
        replaced = {name for name, _ in not_modified.items()} - {b"content-length"}
        kept = [
            (raw, value) for raw, value in entry.headers.raw_items() if raw.lower() not in replaced
        ]
        kept.extend(
            (raw, value)
            for raw, value in not_modified.raw_items()
            if raw.lower() != b"content-length"
        )
        entry.headers = Headers(kept)
        entry.request_time = request_time
        entry.response_time = response_time

    def invalidate(self, url: URL, response_headers: Headers) -> None:
        """§4.4: forget the target URI and same-origin Location / Content-Location."""
        self._entries.pop(url.raw, None)
        for name in (b"location", b"content-location"):
            value = response_headers.get(name)
            if value is None:
                continue
            try:
                other = url.join(value.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                continue
            if other.origin == url.origin:
                self._entries.pop(other.raw, None)


def request_allows_cached(request_headers: Headers) -> tuple[bool, bool]:
    """(may serve a fresh stored response, may use the cache at all) for request directives."""
    cc = parse_cache_control(request_headers)
    if b"no-store" in cc:
        return False, False
    if (
        b"no-cache" in cc
        or cc.get(b"max-age") == b"0"
        or request_headers.get(b"pragma") == b"no-cache"
    ):
        return False, True
    return True, True
