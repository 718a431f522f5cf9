"""The bundled demo site and its router: the seed's HTTP session, replayed (``crlf demo``)."""

from __future__ import annotations

from crlf.files.demo._app import SITE as SITE
from crlf.files.demo._app import DemoApp as DemoApp

__all__ = ["SITE", "DemoApp"]
