"""URLs as the client needs them (RFC 3986, RFC 9110 §4.2): parsed once, kept as wire bytes.

A :class:`URL` is immutable and carries what every request to it needs precomputed: the origin
``(scheme, host, port)`` that keys the connection pool, the ``Host`` field value and the
origin-form request-target (RFC 9112 §3.2.1). Hosts are IDNA-encoded and lowercased; paths and
queries get non-ASCII and unsafe characters percent-encoded, existing escapes kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ..errors import CrlfError

__all__ = ["DEFAULT_PORTS", "URL", "InvalidURL", "QueryParams", "merge_params", "parse_url"]

DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 3986 §3.3 pchar plus "/" and "%" (keep escapes already there); §3.4 adds "?" for queries.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"

QueryParams = (
    Mapping[str, "str | int | float | bool | Sequence[str | int | float] | None"]
    | Sequence[tuple[str, "str | int | float"]]
    | str
)


class InvalidURL(CrlfError, ValueError):
    """Raised when a URL cannot be requested: bad scheme, no host, bad port or host characters."""


def _encode_host(host: str) -> str:
    # RFC 9110 §4.2: hosts are case-insensitive; a non-ASCII name goes out as IDNA A-labels.
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidURL(f"cannot IDNA-encode host {host!r}") from exc


class URL:
    """An absolute ``http``/``https`` URL, validated and split for the wire.

    Attributes:
        raw: the URL as text (normalised: IDNA host, percent-encoded target).
        scheme: ``"http"`` or ``"https"``.
        host: the host, lowercased, IDNA-encoded, without brackets for IPv6.
        port: the port, defaulted from the scheme.
        target: the origin-form request-target, path plus query, as bytes.
        authority: ``host[:port]`` as bytes, the Host field value (port left out when default).
        origin: ``(scheme, host, port)``, the pool key and the same-origin test (RFC 6454).
        username, password: userinfo, if any (never sent in the request line).
        fragment: never sent (RFC 9110 §4.2.4).
    """

    __slots__ = (
        "authority",
        "fragment",
        "host",
        "origin",
        "password",
        "path",
        "port",
        "query",
        "raw",
        "scheme",
        "target",
        "username",
    )

    def __init__(self, url: str) -> None:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise InvalidURL(f"invalid URL {url!r}: {exc}") from exc
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise InvalidURL(f"unsupported URL scheme {parts.scheme!r} in {url!r}")
        if not parts.hostname:
            raise InvalidURL(f"no host in URL {url!r}")
        host = _encode_host(parts.hostname)
        # Reject characters that could break the request head (CR, LF, space...): RFC 3986 §3.2.2.
        if not all(c.isalnum() or c in "-._~:%!$&'()*+,;=" for c in host):
            raise InvalidURL(f"invalid character in host {host!r}")
        if port is None:
            port = DEFAULT_PORTS[scheme]
        path = quote(parts.path, safe=_PATH_SAFE) or "/"
        query = quote(parts.query, safe=_QUERY_SAFE)
        host_text = f"[{host}]" if ":" in host else host
        authority = host_text if port == DEFAULT_PORTS[scheme] else f"{host_text}:{port}"
        target = f"{path}?{query}" if query else path
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.username = parts.username
        self.password = parts.password
        self.fragment = parts.fragment
        self.authority = authority.encode("ascii")
        self.target = target.encode("ascii")
        self.origin = (scheme, host, port)
        self.raw = f"{scheme}://{authority}{target}"

    def join(self, reference: str) -> URL:
        """Resolve a (possibly relative) reference against this URL (RFC 3986 §5.2)."""
        joined = urljoin(self.raw, reference)
        new = URL(joined)
        if not new.fragment and self.fragment and "#" not in reference:
            # RFC 9110 §10.2.2: a Location without a fragment inherits the request's fragment.
            new.fragment = self.fragment
        return new

    def with_params(self, params: QueryParams | None) -> URL:
        """A URL with ``params`` appended to its query (the existing query comes first)."""
        if not params:
            return self
        extra = params if isinstance(params, str) else urlencode(_flatten(params), doseq=False)
        query = f"{self.query}&{extra}" if self.query else extra
        return URL(f"{self.scheme}://{self.authority.decode()}{self.path}?{query}")

    def __str__(self) -> str:
        return self.raw + (f"#{self.fragment}" if self.fragment else "")

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, URL):
            return self.raw == other.raw
        if isinstance(other, str):
            return self.raw == other or str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.raw)


def _scalar(value: str | int | float | bool | None) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _flatten(params: QueryParams) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    items: Any = params.items() if isinstance(params, Mapping) else params
    for key, value in items:
        if isinstance(value, list | tuple):
            pairs.extend((key, _scalar(v)) for v in value)
        else:
            pairs.append((key, _scalar(value)))
    return pairs


def merge_params(url: URL, params: QueryParams | None) -> URL:
    """``url`` with ``params`` appended to its query string."""
    return url.with_params(params)


def parse_url(url: str | URL) -> URL:
    """Parse ``url`` unless it already is a :class:`URL`."""
    return url if isinstance(url, URL) else URL(url)
