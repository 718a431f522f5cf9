"""An RFC 6265 cookie jar: parse Set-Cookie (§5.2), store (§5.3), build Cookie (§5.4).

Small on purpose: ``http.cookiejar`` expects urllib Request/Response objects and parses Netscape
and RFC 2965 dialects crlf does not want. The jar is in memory, keyed by (domain, path, name).
It has no public-suffix list, so a Domain attribute must name a host with a dot in it (curl does
the same without libpsl). ``Secure`` cookies are accepted only from https origins and cookie
name prefixes are honoured, both from RFC 6265bis §4.1.3 / §5.4.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from ._urls import URL

__all__ = ["Cookie", "CookieJar", "parse_cookie_date"]

# RFC 6265 §5.1.1 delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E
_DATE_TOKEN_RE = re.compile(rb"[^\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME_RE = re.compile(rb"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?$")
_DAY_RE = re.compile(rb"(\d{1,2})(?:\D.*)?$")
_YEAR_RE = re.compile(rb"(\d{2,4})(?:\D.*)?$")
_MONTHS = [
    b"jan",
    b"feb",
    b"mar",
    b"apr",
    b"may",
    b"jun",
    b"jul",
    b"aug",
    b"sep",
    b"oct",
    b"nov",
    b"dec",
]
MAX_COOKIE_BYTES = 4096  # RFC 6265 §6.1: at least 4096 bytes per cookie; browsers stop there


def parse_cookie_date(value: bytes) -> float | None:
    """Parse a cookie-date with the RFC 6265 §5.1.1 algorithm; ``None`` when it fails."""
    hms = day = month = year = None
    for token in _DATE_TOKEN_RE.findall(value):
        if hms is None and (m := _TIME_RE.match(token)):
            hms = (int(m[1]), int(m[2]), int(m[3]))
        elif day is None and (m := _DAY_RE.match(token)):
            day = int(m[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := _YEAR_RE.match(token)):
            year = int(m[1])
    if hms is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    if not 1 <= day <= 31 or year < 1601 or hms[0] > 23 or hms[1] > 59 or hms[2] > 59:
        return None
    try:
        return float(calendar.timegm((year, month, day, *hms, 0, 0, 0)))
    except (ValueError, OverflowError):  # pragma: no cover - e.g. Feb 31 on some platforms
        return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: ``host`` equals ``domain`` or is a subdomain of it (not for IPs)."""
    return host == domain or (
        host.endswith(domain) and host[-len(domain) - 1] == "." and not _is_ip(host)
    )


def default_path(path: str) -> str:
    """RFC 6265 §5.1.4: the request path up to, not including, its last '/'."""
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


class Cookie:
    """One stored cookie (RFC 6265 §5.3 step 2's fields)."""

    __slots__ = (
        "creation",
        "domain",
        "expires",
        "host_only",
        "http_only",
        "name",
        "path",
        "same_site",
        "secure",
        "value",
    )

    def __init__(
        self,
        name: str,
        value: str,
        *,
        domain: str = "",
        path: str = "/",
        host_only: bool = False,
        secure: bool = False,
        http_only: bool = False,
        expires: float | None = None,
        same_site: str | None = None,
        creation: float = 0.0,
    ) -> None:
        self.name = name
        self.value = value
        self.domain = domain
        self.path = path
        self.host_only = host_only
        self.secure = secure
        self.http_only = http_only
        self.expires = expires
        self.same_site = same_site
        self.creation = creation

    def __repr__(self) -> str:
        return f"<Cookie {self.name}={self.value} for {self.domain or '*'}{self.path}>"


class CookieJar:
    """Cookies received from servers, sent back where RFC 6265 says they apply.

    Args:
        cookies: initial ``name -> value`` cookies sent to every host (like httpx's ``cookies=``).
        clock: seconds since the epoch; injectable so tests can expire cookies without sleeping.
    """

    def __init__(
        self, cookies: Mapping[str, str] | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._clock = clock
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._counter = 0.0
        for name, value in (cookies or {}).items():
            self.set(name, value)

    def __len__(self) -> int:
        return len(self._cookies)

    def __bool__(self) -> bool:
        return bool(self._cookies)

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def get(
        self, name: str, default: str | None = None, *, domain: str | None = None
    ) -> str | None:
        """The value of the first cookie called ``name`` (optionally only for ``domain``)."""
        for cookie in self._cookies.values():
            if cookie.name == name and (domain is None or cookie.domain == domain):
                return cookie.value
        return default

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """Store a cookie by hand; an empty ``domain`` sends it to every host."""
        self._store(Cookie(name, value, domain=domain.lower(), path=path))

    def clear(self, domain: str | None = None) -> None:
        """Forget every cookie, or those stored for ``domain``."""
        if domain is None:
            self._cookies.clear()
        else:
            for key in [k for k in self._cookies if k[0] == domain.lower()]:
                del self._cookies[key]

    def _store(self, cookie: Cookie) -> None:
        self._counter += 1
        key = (cookie.domain, cookie.path, cookie.name)
        old = self._cookies.get(key)
        # §5.3 step 11.3: a replaced cookie keeps its creation time (and so its order).
        cookie.creation = old.creation if old is not None else self._counter
        self._cookies[key] = cookie

    def extract(self, url: URL, set_cookie_values: list[bytes]) -> None:
        """Store what the ``Set-Cookie`` fields of a response to ``url`` ask for (§5.2, §5.3)."""
        now = self._clock()
        for raw in set_cookie_values:
            cookie = self._parse(url, raw, now)
            if cookie is None:
                continue
            key = (cookie.domain, cookie.path, cookie.name)
            if cookie.expires is not None and cookie.expires <= now:
                self._cookies.pop(key, None)  # §5.3 step 11 with an expiry in the past: delete
                continue
            self._store(cookie)

    def _parse(self, url: URL, raw: bytes, now: float) -> Cookie | None:
        if len(raw) > MAX_COOKIE_BYTES:
            return None
        text = raw.decode("utf-8", errors="replace")
        pair, *attrs = text.split(";")
        if "=" not in pair:
            return None  # §5.2 step 2: no "=" in the name-value-pair: ignore the whole field
        name, _, value = pair.partition("=")
        name, value = name.strip(" \t"), value.strip(" \t")
        if not name:
            return None
        domain_attr: str | None = None
        path: str | None = None
        expires: float | None = None
        max_age: float | None = None
        secure = http_only = False
        same_site: str | None = None
        for attr in attrs:
            key, _, val = attr.partition("=")
            key, val = key.strip(" \t").lower(), val.strip(" \t")
            if key == "expires":
                parsed = parse_cookie_date(val.encode("latin-1", errors="replace"))
                if parsed is not None:
                    expires = parsed
            elif key == "max-age":
                if re.fullmatch(r"-?\d{1,18}", val):  # §5.2.2: a digit run, maybe a leading "-"
                    max_age = float(val)
            elif key == "domain":
                if val:
                    domain_attr = val.lstrip(".").lower()
            elif key == "path":
                path = val if val.startswith("/") else None  # §5.2.4: else the default path
            elif key == "secure":
                secure = True
            elif key == "httponly":
                http_only = True
            elif key == "samesite":
                same_site = val.lower()
        if max_age is not None:  # §5.3 step 3: Max-Age beats Expires
            expires = now + max_age if max_age > 0 else 0.0
        host = url.host
        if domain_attr:
            # §5.3 step 6: the request host must domain-match; no public suffixes (see module doc).
            if not domain_match(host, domain_attr):
                return None
            if "." not in domain_attr and domain_attr != host:
                return None
            domain, host_only = domain_attr, False
        else:
            domain, host_only = host, True
        secure_origin = url.scheme == "https"
        if secure and not secure_origin:
            return None  # RFC 6265bis §5.7 step 8
        if name.startswith("__Secure-") and not (secure and secure_origin):
            return None
        if name.startswith("__Host-") and not (secure and host_only and path == "/"):
            return None
        return Cookie(
            name,
            value,
            domain=domain,
            path=path or default_path(url.path),
            host_only=host_only,
            secure=secure,
            http_only=http_only,
            expires=expires,
            same_site=same_site,
        )

    def header_for(self, url: URL) -> bytes | None:
        """The ``Cookie`` field value to send with a request to ``url`` (§5.4), or None."""
        if not self._cookies:
            return None
        now = self._clock()
        host, path, secure = url.host, url.path, url.scheme == "https"
        chosen: list[Cookie] = []
        expired: list[tuple[str, str, str]] = []
        for key, cookie in list(self._cookies.items()):  # a snapshot: other threads may store
            if cookie.expires is not None and cookie.expires <= now:
                expired.append(key)
                continue
            if cookie.domain:
                if cookie.host_only:
                    if host != cookie.domain:
                        continue
                elif not domain_match(host, cookie.domain):
                    continue
            if not path_match(path, cookie.path) or (cookie.secure and not secure):
                continue
            chosen.append(cookie)
        for key in expired:
            self._cookies.pop(key, None)
        if not chosen:
            return None
        # §5.4 step 2: longer paths first, then earlier creation.
        chosen.sort(key=lambda c: (-len(c.path), c.creation))
        return "; ".join(f"{c.name}={c.value}" for c in chosen).encode("utf-8")
