"""crlf: the whole HTTP/1.1 session, both sides of it.

The public API is re-exported here; the heavier parts (the client, the server) load on first use
so that ``import crlf`` stays cheap for code that only wants the sans-I/O core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    ConnectError as ConnectError,
)
from .errors import (
    ConnectTimeout as ConnectTimeout,
)
from .errors import (
    CrlfError as CrlfError,
)
from .errors import (
    HTTPStatusError as HTTPStatusError,
)
from .errors import (
    LocalProtocolError as LocalProtocolError,
)
from .errors import (
    PoolTimeout as PoolTimeout,
)
from .errors import (
    ProtocolError as ProtocolError,
)
from .errors import (
    ReadError as ReadError,
)
from .errors import (
    ReadTimeout as ReadTimeout,
)
from .errors import (
    RemoteProtocolError as RemoteProtocolError,
)
from .errors import (
    TimeoutException as TimeoutException,
)
from .errors import (
    TooManyRedirects as TooManyRedirects,
)
from .errors import (
    TransportError as TransportError,
)
from .errors import (
    WriteError as WriteError,
)
from .errors import (
    WriteTimeout as WriteTimeout,
)

if TYPE_CHECKING:
    from .client import AsyncClient as AsyncClient
    from .client import Client as Client
    from .client import Response as Response

__version__ = "0.1.0"

# name -> module that defines it; imported on first attribute access (PEP 562).
_LAZY = {"AsyncClient": "crlf.client", "Client": "crlf.client", "Response": "crlf.client"}

__all__ = [
    "AsyncClient",
    "Client",
    "ConnectError",
    "ConnectTimeout",
    "CrlfError",
    "HTTPStatusError",
    "LocalProtocolError",
    "PoolTimeout",
    "ProtocolError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "Response",
    "TimeoutException",
    "TooManyRedirects",
    "TransportError",
    "WriteError",
    "WriteTimeout",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crlf' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
