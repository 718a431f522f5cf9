"""The asyncio :class:`AsyncClient`: the same core as :class:`Client`, on asyncio.Protocol."""

from __future__ import annotations

import asyncio
import ssl
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..errors import ConnectError, ConnectTimeout, ReadError
from ._async_pool import AsyncConnection, AsyncPool
from ._base import IDEMPOTENT, UNSET, BaseClient, Prepared
from ._client import tunnel_authority
from ._sync_pool import StaleConnection
from ._tls import make_ssl_context
from ._tunnel import async_connect_tunnel

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ._models import Response
    from ._pool import PoolKey

__all__ = ["AsyncClient"]

_REDIRECTS = frozenset((301, 302, 303, 307, 308))


class AsyncClient(BaseClient):
    """An asyncio HTTP/1.1 client with a keep-alive connection pool.

    Takes the same keyword arguments as :class:`~crlf.client.Client`, e.g.
    ``AsyncClient(max_connections=50)``. Use it from one event loop.

    Example::

        async with crlf.AsyncClient() as client:
            r = await client.get("http://127.0.0.1:8000/")
            print(r.status_code, r.text)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool = AsyncPool(self.limits, self._open)

    def _get_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = make_ssl_context(self._verify, self._cert)
        return self._ssl_context  # type: ignore[no-any-return]

    async def _open(self, prep: Prepared, key: PoolKey) -> AsyncConnection:
        loop = asyncio.get_running_loop()
        url, proxy, timeout = prep.url, prep.proxy, prep.timeout
        tls = url.scheme == "https"
        host, port = (url.host, url.port) if proxy is None else (proxy.url.host, proxy.url.port)
        conn = AsyncConnection(loop, key)
        conn.trace = self.trace
        try:
            async with asyncio.timeout(timeout.connect):
                if proxy is not None and tls:
                    transport, _ = await async_connect_tunnel(
                        loop, host, port, tunnel_authority(url.host, url.port), proxy.auth_header
                    )
                    tls_transport = await loop.start_tls(
                        transport, conn, self._get_ssl_context(), server_hostname=url.host
                    )
                    assert tls_transport is not None
                    conn.connection_made(tls_transport)
                else:
                    await loop.create_connection(
                        lambda: conn,
                        host,
                        port,
                        ssl=self._get_ssl_context() if tls else None,
                        server_hostname=url.host if tls else None,
                    )
        except TimeoutError as exc:
            raise ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except ssl.SSLError as exc:
            raise ConnectError(f"TLS handshake with {url.host} failed: {exc}") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        if self.trace is not None:
            self.trace("connect", f"Connected to {host} port {port}".encode())
        return conn

    async def _exchange(self, conn: AsyncConnection, prep: Prepared, stream: bool) -> Response:
        waiter = conn.start(prep, stream)
        if prep.body is not None and (prep.body.data is None or prep.expect_continue):
            await conn.send_body(prep)
        await waiter
        return conn.response(prep)

    async def _send_single(self, prep: Prepared, stream: bool) -> Response:
        pool = self._pool
        key = prep.key
        conn = pool.take_idle(key)
        if conn is None:
            conn = await pool.acquire(key, prep)
        try:
            return await self._exchange(conn, prep, stream)
        except StaleConnection as exc:
            pool.discard(conn)
            if not prep.idempotent or prep.method not in IDEMPOTENT:
                raise ReadError(f"the server closed the keep-alive connection: {exc}") from exc
        except BaseException:
            pool.discard(conn)
            raise
        # RFC 9110 §9.2.2: retry an idempotent request once, on a new connection.
        conn = await pool.acquire(key, prep, fresh=True)
        try:
            return await self._exchange(conn, prep, stream)
        except StaleConnection as exc:  # pragma: no cover - a new connection is never stale
            pool.discard(conn)
            raise ReadError(str(exc)) from exc
        except BaseException:
            pool.discard(conn)
            raise

    async def _send(self, prep: Prepared, stream: bool, follow: bool) -> Response:
        return await self._loop(prep, stream, follow, None)

    async def _continue(self, prep: Prepared, resp: Response) -> Response:
        """The rest of _send() for a response the get() fast path already has."""
        return await self._loop(
            prep, False, self.follow_redirects, self._after_response(prep, resp, 0.0)
        )

    async def _loop(
        self, prep: Prepared, stream: bool, follow: bool, first: Response | None
    ) -> Response:
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
                resp = await self._send_single(prep, stream)
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
                await resp.aread()
            history.append(resp)
            prep = nxt

    async def request(
        self, method: str, url: Any, *, follow_redirects: Any = UNSET, **kwargs: Any
    ) -> Response:
        """Send a request and read the whole response (see :meth:`Client.request`)."""
        follow = self.follow_redirects if follow_redirects is UNSET else follow_redirects
        if not kwargs and type(url) is str and not self.cookies and not self.params:
            prep = self._prepare_plain(method, url)
        else:
            prep = self._prepare(method, url, **kwargs)
        return await self._send(prep, False, follow)

    @asynccontextmanager
    async def stream(
        self, method: str, url: Any, *, follow_redirects: Any = UNSET, **kwargs: Any
    ) -> AsyncIterator[Response]:
        """Send a request; read the body with ``aiter_bytes()`` inside the block."""
        follow = self.follow_redirects if follow_redirects is UNSET else follow_redirects
        resp = await self._send(self._prepare(method, url, **kwargs), True, follow)
        try:
            yield resp
        finally:
            await resp.aclose()

    async def get(self, url: Any, **kwargs: Any) -> Response:
        """``GET url`` (RFC 9110 §9.3.1)."""
        if not kwargs and not self.cookies:
            prep = self._plain_preps.get(url)  # only filled when nothing mutates it
            if prep is not None:
                resp = await self._send_single(prep, False)
                resp._request = prep
                if resp.set_cookie or resp.status_code in _REDIRECTS:
                    return await self._continue(prep, resp)
                return resp
            if type(url) is str and not self.params:
                return await self._send(
                    self._prepare_plain("GET", url), False, self.follow_redirects
                )
        return await self.request("GET", url, **kwargs)

    async def head(self, url: Any, **kwargs: Any) -> Response:
        """``HEAD url`` (RFC 9110 §9.3.2)."""
        return await self.request("HEAD", url, **kwargs)

    async def options(self, url: Any, **kwargs: Any) -> Response:
        """``OPTIONS url`` (RFC 9110 §9.3.7)."""
        return await self.request("OPTIONS", url, **kwargs)

    async def post(self, url: Any, **kwargs: Any) -> Response:
        """``POST url`` (RFC 9110 §9.3.3)."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: Any, **kwargs: Any) -> Response:
        """``PUT url`` (RFC 9110 §9.3.4)."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: Any, **kwargs: Any) -> Response:
        """``PATCH url`` (RFC 5789)."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: Any, **kwargs: Any) -> Response:
        """``DELETE url`` (RFC 9110 §9.3.5)."""
        return await self.request("DELETE", url, **kwargs)

    @property
    def pool(self) -> AsyncPool:
        """The connection pool (statistics: ``connections_opened``, ``idle_count()``)."""
        return self._pool

    async def aclose(self) -> None:
        """Close every pooled connection (and wait, briefly, for TLS close_notify to go out)."""
        closing = self._pool.close()
        if closing:
            await asyncio.wait(closing, timeout=1.0)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
