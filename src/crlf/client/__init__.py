"""crlf's HTTP/1.1 client: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Both share one request/response core (``_base``) on the sans-I/O :mod:`crlf.protocol`, so they
behave identically: keep-alive pooling, redirects (RFC 9110 §15.4), cookies (RFC 6265), an
optional private cache (RFC 9111), decompression, proxies and TLS.
"""

from __future__ import annotations

from ._async_client import AsyncClient as AsyncClient
from ._cache import HTTPCache as HTTPCache
from ._client import Client as Client
from ._config import PoolLimits as PoolLimits
from ._config import Timeout as Timeout
from ._cookies import CookieJar as CookieJar
from ._models import Request as Request
from ._models import Response as Response
from ._models import ResponseHeaders as ResponseHeaders
from ._models import ResponseNotRead as ResponseNotRead
from ._urls import URL as URL
from ._urls import InvalidURL as InvalidURL

__all__ = [
    "URL",
    "AsyncClient",
    "Client",
    "CookieJar",
    "HTTPCache",
    "InvalidURL",
    "PoolLimits",
    "Request",
    "Response",
    "ResponseHeaders",
    "ResponseNotRead",
    "Timeout",
]
