"""The synchronous :class:`Client`: blocking sockets, a keep-alive pool, httpx/requests names."""

from __future__ import annotations

import ssl
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import ConnectError, ConnectTimeout, ReadError
from ._base import IDEMPOTENT, UNSET, BaseClient, Prepared
from ._sync_pool import StaleConnection, SyncConnection, SyncPool, open_socket
from ._tls import make_ssl_context
from ._tunnel import connect_tunnel

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._models import Response
    from ._pool import PoolKey

__all__ = ["Client"]

_REDIRECTS = frozenset((301, 302, 303, 307, 308))


def tunnel_authority(host: str, port: int) -> bytes:
    """``host:port`` for CONNECT (RFC 9112 §3.2.3: authority-form always has the port)."""
    return (f"[{host}]:{port}" if ":" in host else f"{host}:{port}").encode("ascii")


class Client(BaseClient):
    """A synchronous HTTP/1.1 client with a keep-alive connection pool.

    Takes the keyword arguments of :class:`~crlf.client._base.BaseClient` (headers, cookies,
    timeout, follow_redirects, verify, cert, proxy, http_cache, accept_language, limits...).
    Thread-safe: the pool is locked, each exchange owns its connection.

    Example::

        with crlf.Client() as client:
            r = client.get("http://127.0.0.1:8000/", params={"q": "x"})
            r.raise_for_status()
            print(r.status_code, r.headers["content-type"], r.text)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool = SyncPool(self.limits, self._open)

    # ------------------------------------------------------------ connecting --

    def _get_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = make_ssl_context(self._verify, self._cert)
        return self._ssl_context  # type: ignore[no-any-return]

    def _open(self, prep: Prepared, key: PoolKey) -> SyncConnection:
        url, proxy, timeout = prep.url, prep.proxy, prep.timeout
        host, port = (url.host, url.port) if proxy is None else (proxy.url.host, proxy.url.port)
        sock = open_socket(host, port, timeout)
        tls = url.scheme == "https"
        try:
            if proxy is not None and tls:
                connect_tunnel(
                    sock, tunnel_authority(url.host, url.port), proxy.auth_header, timeout
                )
            if tls:
                sock.settimeout(timeout.connect)
                sock = self._get_ssl_context().wrap_socket(sock, server_hostname=url.host)
                sock.settimeout(None)
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeout(f"TLS handshake with {url.host} timed out") from exc
        except ssl.SSLError as exc:
            sock.close()
            raise ConnectError(f"TLS handshake with {url.host} failed: {exc}") from exc
        except BaseException:
            sock.close()
            raise
        if self.trace is not None:
            via = f" (via proxy {proxy.url.authority.decode()})" if proxy is not None else ""
            self.trace("connect", f"Connected to {host} port {port}{via}".encode())
        return SyncConnection(sock, key, tls)

    # --------------------------------------------------------------- sending --

    def _send_single(self, prep: Prepared, stream: bool) -> Response:
        key = prep.key
        pool = self._pool
        conn = pool.acquire(key, prep, prep.method not in IDEMPOTENT)
        trace = self.trace
        if trace is not None and conn.served:
            trace(
                "reuse",
                f"Re-using existing connection to {prep.url.authority.decode()} "
                f"(request {conn.served + 1} on it)".encode(),
            )
        try:
            early = conn.send_request(prep, trace)
            return conn.read_response(prep, early, stream, pool.release, trace)
        except StaleConnection as exc:
            pool.discard(conn)
            if not prep.idempotent:
                raise ReadError(f"the server closed the keep-alive connection: {exc}") from exc
        except BaseException:
            pool.discard(conn)
            raise
        # RFC 9110 §9.2.2: an idempotent request may be retried once, here on a new connection.
        conn = pool.acquire(key, prep, True)
        while conn.served:  # an idle connection came back meanwhile: use a new one anyway
            pool.discard(conn)
            conn = pool.acquire(key, prep, True)
        if trace is not None:
            trace("retry", b"Retrying on a new connection: the reused one had been closed")
        try:
            early = conn.send_request(prep, trace)
            return conn.read_response(prep, early, stream, pool.release, trace)
        except StaleConnection as exc:  # pragma: no cover - a new connection is never stale
            pool.discard(conn)
            raise ReadError(str(exc)) from exc
        except BaseException:
            pool.discard(conn)
            raise

    def _send(self, prep: Prepared, stream: bool, follow: bool) -> Response:
        return self._loop(prep, stream, follow, None)

    def _continue(self, prep: Prepared, resp: Response) -> Response:
        """The rest of _send() for a response the get() fast path already has."""
        return self._loop(prep, False, self.follow_redirects, self._after_response(prep, resp, 0.0))

    def _loop(self, prep: Prepared, stream: bool, follow: bool, first: Response | None) -> Response:
        history: list[Response] = []
        cache = self.cache
        while True:
            resp: Response | None
            if first is not None:
                resp, first = first, None
            else:
                resp = self._cache_lookup(prep) if cache is not None else None
            if resp is None:
                t0 = cache.clock() if cache is not None else 0.0
                resp = self._send_single(prep, stream)
                resp._request = prep
                resp = self._after_response(prep, resp, t0)
            if resp.status_code not in _REDIRECTS:
                if history:
                    resp.history = history
                return resp
            nxt = self._next_hop(prep, resp, history, follow)
            if nxt is None:
                if history:
                    resp.history = history
                return resp
            if stream:
                resp.read()
            history.append(resp)
            prep = nxt

    def request(
        self,
        method: str,
        url: Any,
        *,
        follow_redirects: Any = UNSET,
        **kwargs: Any,
    ) -> Response:
        """Send a request and read the whole response.

        Args:
            method: e.g. ``"GET"``.
            url: an absolute URL (or relative to ``base_url``).
            follow_redirects: override the client's setting for this request.
            **kwargs: ``params``, ``headers``, ``content``, ``data``, ``files``, ``json``,
                ``cookies``, ``auth`` (user, password), ``timeout``.

        Raises:
            crlf.errors.TransportError: connect/read/write/pool failures and timeouts.
            crlf.errors.RemoteProtocolError: the server broke HTTP/1.1.
            crlf.errors.TooManyRedirects: more than ``max_redirects``.
        """
        follow = self.follow_redirects if follow_redirects is UNSET else follow_redirects
        if not kwargs and type(url) is str and not self.cookies and not self.params:
            prep = self._prepare_plain(method, url)
        else:
            prep = self._prepare(method, url, **kwargs)
        return self._send(prep, False, follow)

    @contextmanager
    def stream(
        self, method: str, url: Any, *, follow_redirects: Any = UNSET, **kwargs: Any
    ) -> Iterator[Response]:
        """Send a request; the body is read as the caller iterates ``iter_bytes()``.

        The connection goes back to the pool when the body ends, or is closed when the block
        exits early.
        """
        follow = self.follow_redirects if follow_redirects is UNSET else follow_redirects
        resp = self._send(self._prepare(method, url, **kwargs), True, follow)
        try:
            yield resp
        finally:
            resp.close()

    def get(self, url: Any, **kwargs: Any) -> Response:
        """``GET url`` (RFC 9110 §9.3.1)."""
        if not kwargs and not self.cookies:
            prep = self._plain_preps.get(url)  # only filled when nothing mutates it
            if prep is not None:
                resp = self._send_single(prep, False)
                resp._request = prep
                if resp.set_cookie or resp.status_code in _REDIRECTS:
                    return self._continue(prep, resp)
                return resp
            if type(url) is str and not self.params:
                return self._send(self._prepare_plain("GET", url), False, self.follow_redirects)
        return self.request("GET", url, **kwargs)

    def head(self, url: Any, **kwargs: Any) -> Response:
        """``HEAD url`` (RFC 9110 §9.3.2)."""
        return self.request("HEAD", url, **kwargs)

    def options(self, url: Any, **kwargs: Any) -> Response:
        """``OPTIONS url`` (RFC 9110 §9.3.7)."""
        return self.request("OPTIONS", url, **kwargs)

    def post(self, url: Any, **kwargs: Any) -> Response:
        """``POST url`` (RFC 9110 §9.3.3)."""
        return self.request("POST", url, **kwargs)

    def put(self, url: Any, **kwargs: Any) -> Response:
        """``PUT url`` (RFC 9110 §9.3.4)."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: Any, **kwargs: Any) -> Response:
        """``PATCH url`` (RFC 5789)."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: Any, **kwargs: Any) -> Response:
        """``DELETE url`` (RFC 9110 §9.3.5)."""
        return self.request("DELETE", url, **kwargs)

    # ------------------------------------------------------------- lifecycle --

    @property
    def pool(self) -> SyncPool:
        """The connection pool (statistics: ``connections_opened``, ``idle_count()``)."""
        return self._pool

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._pool.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
