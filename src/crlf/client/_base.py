"""What :class:`Client` and :class:`AsyncClient` share: everything but the I/O.

Both clients run the same steps around each exchange, and those steps live here so the two
behave identically:

1. :meth:`BaseClient._prepare` turns the call's arguments into a :class:`Prepared` request:
   the URL parsed once (and cached), default headers merged, the body encoded, cookies added.
   A plain ``get(url)`` reuses one prebuilt :class:`~crlf.protocol.Headers` per authority.
2. :meth:`BaseClient._cache_lookup` may answer from the private HTTP cache or add validators.
3. The subclass sends it (sockets or asyncio) and builds a :class:`Response`.
4. :meth:`BaseClient._after_response` stores cookies, updates the cache, and
   :meth:`BaseClient._next_hop` decides on a redirect (RFC 9110 §15.4).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from ..errors import TooManyRedirects
from ..protocol import Headers
from ._cache import CacheEntry, HTTPCache, request_allows_cached
from ._config import DEFAULT_TIMEOUT, PoolLimits, Timeout, to_timeout
from ._content import RequestBody, encode_body
from ._cookies import CookieJar
from ._decoders import ACCEPT_ENCODING
from ._models import Request, Response
from ._pool import pool_key
from ._proxy import Proxy, ProxyConfig, proxies_from_env
from ._urls import URL, QueryParams, parse_url

__all__ = ["UNSET", "USER_AGENT", "BaseClient", "Prepared"]

try:
    _VERSION = metadata.version("crlf")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    _VERSION = "0"
USER_AGENT = f"crlf/{_VERSION}".encode("ascii")

_REDIRECTS = frozenset((301, 302, 303, 307, 308))
# RFC 9110 §9.2.2: methods a client may retry automatically after a connection failure.
IDEMPOTENT = frozenset((b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"))
# Content fields that describe a body and go away when a redirect turns the request into a GET
# without one (RFC 9110 §15.4 "a user agent ... ought to remove" them; fetch does the same).
_BODY_FIELDS = frozenset(
    (
        b"content-type",
        b"content-length",
        b"transfer-encoding",
        b"content-encoding",
        b"content-language",
        b"content-location",
    )
)
# Fields only the origin they were meant for may see (RFC 9110 §15.4 / fetch spec step 13).
_CREDENTIAL_FIELDS = frozenset((b"authorization", b"cookie"))
# Default threshold for Expect: 100-continue (curl uses 1 MiB since 7.69; RFC 9110 §10.1.1).
EXPECT_CONTINUE_THRESHOLD = 1024 * 1024
_URL_CACHE_SIZE = 512  # parsed URLs a client remembers
# Methods whose argument-less request has the same header block (POST/PUT/PATCH add a
# Content-Length: 0, see _build_headers), so one prepared block per URL serves them all.
_PLAIN_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "DELETE"))
_EMPTY_BODY_METHODS = frozenset((b"POST", b"PUT", b"PATCH"))
_METHODS = {
    m.decode(): m for m in (b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS")
}


_NO_HEADERS = Headers()  # placeholder until _build_headers runs; never sent


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

HeaderTypes = Mapping[str, str] | Sequence[tuple[str, str]] | Mapping[bytes, bytes] | None


def _header_pairs(headers: HeaderTypes) -> list[tuple[bytes, bytes]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[bytes, bytes]] = []
    for name, value in items:
        n = name if isinstance(name, bytes) else name.encode("latin-1")
        v = value if isinstance(value, bytes) else str(value).encode("latin-1")
        out.append((n, v))
    return out


class Prepared:
    """One request ready for the wire (internal; one per redirect hop).

    Attributes:
        method: the method as bytes.
        url: the target URL.
        headers: every field to send, Host first, as a protocol :class:`Headers`.
        body: the encoded body or None.
        timeout: the timeouts for this request.
        proxy: the proxy it goes through, if any.
        http_version: ``b"1.1"`` or ``b"1.0"``.
        expect_continue: send the head, wait for ``100 Continue``, then the body.
        cache_entry: a stale stored response being revalidated, if any.
    """

    __slots__ = (
        "body",
        "cache_entry",
        "event",
        "expect_continue",
        "headers",
        "http_version",
        "key",
        "method",
        "proxy",
        "timeout",
        "url",
        "user_headers",
    )

    def __init__(
        self,
        method: bytes,
        url: URL,
        headers: Headers,
        body: RequestBody | None,
        timeout: Timeout,
        proxy: Proxy | None,
        http_version: bytes = b"1.1",
        user_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.proxy = proxy
        self.http_version = http_version
        self.expect_continue = False
        self.cache_entry: CacheEntry | None = None
        self.user_headers = user_headers
        self.key = pool_key(url, proxy)
        self.event: Any = None  # the protocol Request event, built once by the connection

    @property
    def idempotent(self) -> bool:
        """Whether the request may be replayed after a connection failure (RFC 9110 §9.2.2)."""
        return self.method in IDEMPOTENT and (self.body is None or self.body.replayable)

    @property
    def target(self) -> bytes:
        """The request-target: absolute-form through an http proxy (RFC 9112 §3.2.2)."""
        if self.proxy is not None and self.url.scheme == "http":
            return self.url.raw.encode("ascii")
        return self.url.target

    def public(self) -> Request:
        """The public :class:`Request` for ``response.request``."""
        return Request(self.method.decode("ascii"), self.url, self.headers.raw_items())


class BaseClient:
    """Configuration and the I/O-free steps shared by :class:`Client` and :class:`AsyncClient`.

    Args:
        headers: fields sent with every request (override the defaults by name).
        cookies: initial cookies (sent to every host) or a :class:`CookieJar` to share.
        params: query parameters added to every URL.
        timeout: a :class:`Timeout`, one number for every phase, or None for no limit.
        follow_redirects: follow 3xx responses with a Location (RFC 9110 §15.4); default True,
            as a browser does after the seed's ``301 Moved Permanently``.
        max_redirects: redirects followed before :class:`~crlf.errors.TooManyRedirects`.
        verify: TLS verification: True, False, a CA path or an ``ssl.SSLContext``.
        cert: a client certificate: a PEM path, or ``(cert, key[, password])``.
        proxy: an http:// proxy URL for every request; None reads the environment when
            ``trust_env`` is true.
        trust_env: read HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY.
        http_cache: True (or an :class:`HTTPCache`) for the private RFC 9111 cache.
        accept_language: an ``Accept-Language`` value sent with every request (the seed's
            ``fr``), e.g. ``"fr, en;q=0.5"``.
        user_agent: the ``User-Agent``; default ``crlf/<version>``.
        base_url: relative URLs are resolved against it.
        http1_0: send HTTP/1.0 requests (``Connection: keep-alive`` kept, as curl does).
        limits: pool limits; ``max_connections`` is a shortcut for its field.
        expect_continue_threshold: bodies at least this large (or of unknown length) are sent
            with ``Expect: 100-continue``; None never.
        trace: ``trace(kind, data)`` is called with ``"connect"``/``"reuse"`` (a text line),
            ``"send_head"`` and ``"receive_head"`` (the exact bytes), for ``crlf get -v``.
    """

    def __init__(
        self,
        *,
        headers: HeaderTypes = None,
        cookies: Mapping[str, str] | CookieJar | None = None,
        params: QueryParams | None = None,
        timeout: Timeout | float | None = DEFAULT_TIMEOUT,
        follow_redirects: bool = True,
        max_redirects: int = 20,
        verify: Any = True,
        cert: Any = None,
        proxy: str | None = None,
        trust_env: bool = True,
        http_cache: bool | HTTPCache = False,
        accept_language: str | None = None,
        user_agent: str | None = None,
        base_url: str | None = None,
        http1_0: bool = False,
        limits: PoolLimits | None = None,
        max_connections: int | None = None,
        max_connections_per_host: int | None = None,
        expect_continue_threshold: int | None = EXPECT_CONTINUE_THRESHOLD,
        trace: Any = None,
    ) -> None:
        self.timeout = to_timeout(timeout)
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.cookies = cookies if isinstance(cookies, CookieJar) else CookieJar(cookies)
        self.params = params
        self.base_url = parse_url(base_url) if base_url else None
        self.http_version = b"1.0" if http1_0 else b"1.1"
        self.expect_continue_threshold = expect_continue_threshold
        self.trace = trace
        self._verify = verify
        self._cert = cert
        self._ssl_context: Any = None
        if limits is None:
            limits = PoolLimits(
                max_connections=max_connections or 100,
                max_connections_per_host=max_connections_per_host,
                max_keepalive=max_connections or 100,
            )
        self.limits = limits
        if http_cache is True:
            self.cache: HTTPCache | None = HTTPCache()
        elif isinstance(http_cache, HTTPCache):
            self.cache = http_cache
        else:
            self.cache = None
        if proxy is not None:
            p = Proxy(proxy)
            self.proxies = ProxyConfig(http=p, https=p)
        elif trust_env:
            self.proxies = proxies_from_env()
        else:
            self.proxies = ProxyConfig()
        defaults: list[tuple[bytes, bytes]] = [
            (b"User-Agent", user_agent.encode("latin-1") if user_agent else USER_AGENT),
            (b"Accept", b"*/*"),
            (b"Accept-Encoding", ACCEPT_ENCODING),
        ]
        if accept_language:
            defaults.append((b"Accept-Language", accept_language.encode("latin-1")))
        if http1_0:
            defaults.append((b"Connection", b"keep-alive"))  # RFC 9112 §9.3 / RFC 2068 §19.7.1
        overrides = _header_pairs(headers)
        names = {n.lower() for n, _ in overrides}
        self._default_headers = [h for h in defaults if h[0].lower() not in names] + overrides
        self._default_names = {n.lower() for n, _ in self._default_headers}
        self._url_cache: dict[str, URL] = {}
        self._plain_headers: dict[tuple[bytes, bool], Headers] = {}
        # url string -> (URL, proxy, Headers) of a request with no arguments, valid while the
        # cookie jar is empty and the client has no params (both change the request).
        self._plain_cache: dict[str, tuple[URL, Proxy | None, Headers]] = {}
        # (method, url) -> a reusable Prepared for argument-less calls when nothing mutates one
        # (no HTTP cache, which adds validators per request): the per-request hot path.
        self._plain_preps: dict[str, Prepared] = {}  # GET only, keyed by the URL string

    # ------------------------------------------------------------- preparing --

    def _parse_url(self, url: str | URL) -> URL:
        if isinstance(url, URL):
            return url
        cached = self._url_cache.get(url)
        if cached is not None:
            return cached
        if self.base_url is not None and "://" not in url:
            parsed = self.base_url.join(url)
        else:
            parsed = URL(url)
        if len(self._url_cache) >= _URL_CACHE_SIZE:
            self._url_cache.clear()
        self._url_cache[url] = parsed
        return parsed

    def _prepare_plain(self, method: str, url: str) -> Prepared:
        """``_prepare`` for a call with no arguments and an empty cookie jar (the hot path)."""
        if method not in _PLAIN_METHODS:
            return self._prepare(method, url)  # POST/PUT/PATCH say Content-Length: 0
        hit = self._plain_cache.get(url)
        if hit is None:
            prep = self._prepare(method, url)
            if len(self._plain_cache) >= _URL_CACHE_SIZE:
                self._plain_cache.clear()
            self._plain_cache[url] = (prep.url, prep.proxy, prep.headers)
            return prep
        u, proxy, headers = hit
        m = _METHODS.get(method) or method.upper().encode("ascii")
        prep = Prepared(m, u, headers, None, self.timeout, proxy, self.http_version, None)
        if self.cache is None and m == b"GET":
            if len(self._plain_preps) >= _URL_CACHE_SIZE:
                self._plain_preps.clear()
            self._plain_preps[url] = prep
        return prep

    def _prepare(
        self,
        method: str,
        url: str | URL,
        *,
        params: QueryParams | None = None,
        headers: HeaderTypes = None,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        cookies: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: Any = UNSET,
    ) -> Prepared:
        u = self._parse_url(url)
        if self.params:
            u = u.with_params(self.params)
        if params:
            u = u.with_params(params)
        m = method.upper().encode("ascii")
        tmo = self.timeout if timeout is UNSET else to_timeout(timeout)
        proxy = self.proxies.for_url(u) if self.proxies else None
        body = None
        if content is not None or data is not None or files is not None or json is not None:
            body = encode_body(content=content, data=data, files=files, json=json)
        user = _header_pairs(headers)
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode())
            user.append((b"Authorization", b"Basic " + token))  # RFC 7617
        if cookies:
            user.append((b"Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
        prep = Prepared(m, u, _NO_HEADERS, body, tmo, proxy, self.http_version, user)
        self._build_headers(prep)
        return prep

    def _build_headers(self, prep: Prepared) -> None:
        """(Re)build the header block of ``prep`` for its URL, body and the cookie jar."""
        u = prep.url
        user = prep.user_headers or []
        body = prep.body
        proxied = prep.proxy is not None and u.scheme == "http"
        cookie = self.cookies.header_for(u) if self.cookies else None
        if not user and body is None and cookie is None and prep.method not in _EMPTY_BODY_METHODS:
            key = (u.authority, proxied)
            plain = self._plain_headers.get(key)
            if plain is None:
                pairs = [(b"Host", u.authority), *self._default_headers]
                if proxied and prep.proxy is not None and prep.proxy.auth_header is not None:
                    pairs.append((b"Proxy-Authorization", prep.proxy.auth_header))
                plain = self._plain_headers[key] = Headers(pairs)
            prep.headers = plain
            return
        user_names = {n.lower() for n, _ in user}
        pairs = [(b"Host", u.authority)]
        pairs += [h for h in self._default_headers if h[0].lower() not in user_names]
        pairs += [h for h in user if h[0].lower() != b"host"]
        if cookie is not None and b"cookie" not in user_names:
            pairs.append((b"Cookie", cookie))
        if proxied and prep.proxy is not None and prep.proxy.auth_header is not None:
            pairs.append((b"Proxy-Authorization", prep.proxy.auth_header))
        if body is not None:
            if body.content_type and b"content-type" not in user_names:
                pairs.append((b"Content-Type", body.content_type.encode("latin-1")))
            if b"content-length" not in user_names and b"transfer-encoding" not in user_names:
                if body.length is not None:
                    pairs.append((b"Content-Length", b"%d" % body.length))
                elif prep.http_version == b"1.1":
                    pairs.append((b"Transfer-Encoding", b"chunked"))  # RFC 9112 §7.1
                else:
                    raise ValueError("a body of unknown length needs HTTP/1.1 (chunked)")
            threshold = self.expect_continue_threshold
            if (
                threshold is not None
                and prep.http_version == b"1.1"
                and (body.length is None or body.length >= threshold)
                and b"expect" not in user_names
            ):
                pairs.append((b"Expect", b"100-continue"))  # RFC 9110 §10.1.1
                prep.expect_continue = True
        elif prep.method in _EMPTY_BODY_METHODS and b"content-length" not in user_names:
            pairs.append((b"Content-Length", b"0"))  # RFC 9110 §8.6: a POST without body says so
        prep.headers = Headers(pairs)

    # --------------------------------------------------------------- caching --

    def _cache_lookup(self, prep: Prepared) -> Response | None:
        """A fresh cached response, or None (after adding validators for a stale one)."""
        cache = self.cache
        if cache is None or prep.method != b"GET":
            return None
        may_serve, may_use = request_allows_cached(prep.headers)
        if not may_use:
            return None
        entry = cache.lookup(prep.url, prep.headers)
        if entry is None:
            return None
        if may_serve and entry.is_fresh(cache.clock()):
            return self._from_entry(entry, prep)
        validators = entry.validators()
        if validators:
            prep.cache_entry = entry
            present = {n for n, _ in prep.headers.items()}
            extra = [(n, v) for n, v in validators if n.lower() not in present]
            prep.headers = Headers(prep.headers.raw_items() + extra)
        return None

    def _from_entry(self, entry: CacheEntry, prep: Prepared) -> Response:
        resp = Response(
            entry.status_code,
            entry.headers,
            entry.body,
            reason=entry.reason,
            http_version=entry.http_version,
            url=prep.url,
            request=prep.public(),
        )
        resp.from_cache = True
        return resp

    # ------------------------------------------------------ after a response --

    def _after_response(self, prep: Prepared, resp: Response, request_time: float) -> Response:
        """Cookies and cache bookkeeping for a complete (or streaming) response."""
        raw = resp.raw_headers
        if resp.set_cookie:
            self.cookies.extract(prep.url, raw.get_all(b"set-cookie"))
        cache = self.cache
        if cache is None:
            return resp
        now = cache.clock()
        if prep.method not in (b"GET", b"HEAD") and resp.status_code < 400:
            cache.invalidate(prep.url, raw)  # RFC 9111 §4.4
            return resp
        if prep.method != b"GET":
            return resp
        entry = prep.cache_entry
        if resp.status_code == 304 and entry is not None:
            cache.freshen(entry, raw, request_time, now)  # RFC 9111 §4.3.4
            served = self._from_entry(entry, prep)
            served.history = resp.history
            return served
        if resp._raw_body is not None:  # streamed bodies are not stored
            cache.store(
                prep.url,
                prep.headers,
                resp.status_code,
                resp._reason,
                resp._version,
                raw,
                resp._raw_body,
                request_time,
                now,
            )
        return resp

    def _next_hop(
        self, prep: Prepared, resp: Response, history: list[Response], follow: bool
    ) -> Prepared | None:
        """The request a redirect asks for (RFC 9110 §15.4), or None to stop here.

        Raises:
            TooManyRedirects: when following it would exceed ``max_redirects``.
        """
        status = resp.status_code
        if not follow or status not in _REDIRECTS:
            return None
        location = resp.raw_headers.get(b"location")
        if location is None:
            return None
        try:
            new_url = prep.url.join(location.decode("utf-8", errors="replace"))
        except ValueError:
            return None  # a Location we cannot follow (e.g. ftp:): hand the 3xx back
        if len(history) >= self.max_redirects:
            raise TooManyRedirects(f"more than {self.max_redirects} redirects, last to {new_url}")
        method = prep.method
        body = prep.body
        # §15.4.2/§15.4.3: POST may become GET on 301/302 (every browser does it).
        # §15.4.4: 303 means "GET the other resource" for anything but HEAD.
        if (status in (301, 302) and method == b"POST") or (status == 303 and method != b"HEAD"):
            method, body = b"GET", None
        elif body is not None and not body.replayable:
            return None  # 307/308 must resend the body and this one was a one-shot stream
        user = list(prep.user_headers or [])
        if body is None:
            user = [h for h in user if h[0].lower() not in _BODY_FIELDS]
        if new_url.origin != prep.url.origin:
            user = [h for h in user if h[0].lower() not in _CREDENTIAL_FIELDS]
        proxy = self.proxies.for_url(new_url) if self.proxies else None
        nxt = Prepared(
            method, new_url, _NO_HEADERS, body, prep.timeout, proxy, prep.http_version, user
        )
        self._build_headers(nxt)
        return nxt
