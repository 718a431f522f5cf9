"""Proxy selection: explicit ``proxy=`` or the environment (``HTTP_PROXY``, ``HTTPS_PROXY``,
``ALL_PROXY``, ``NO_PROXY``, lower-case forms too), read when a client is built, never at import.

As curl and Go's net/http do, the upper-case ``HTTP_PROXY`` is ignored when ``REQUEST_METHOD`` is
set: under CGI, a request's ``Proxy:`` header lands in that variable (the "httpoxy" hole).
"""

from __future__ import annotations

import base64
import ipaddress
import os
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ._urls import URL, InvalidURL

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Proxy", "ProxyConfig", "proxies_from_env"]


class Proxy:
    """An HTTP proxy: its URL and the ``Proxy-Authorization`` its userinfo implies."""

    __slots__ = ("auth_header", "url")

    def __init__(self, url: str | URL) -> None:
        self.url = url if isinstance(url, URL) else URL(url if "://" in url else f"http://{url}")
        if self.url.scheme != "http":
            raise InvalidURL("only http:// proxies are supported (CONNECT tunnels carry https)")
        self.auth_header: bytes | None = None
        if self.url.username is not None:
            userpass = f"{unquote(self.url.username)}:{unquote(self.url.password or '')}"
            # RFC 7617 Basic credentials for the proxy (RFC 9110 §11.7.2).
            self.auth_header = b"Basic " + base64.b64encode(userpass.encode("utf-8"))

    def __repr__(self) -> str:
        return f"Proxy({self.url.raw!r})"


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name.lower())
    if value is None and not (name == "HTTP_PROXY" and "REQUEST_METHOD" in environ):
        value = environ.get(name.upper())
    return value or None


class ProxyConfig:
    """Which proxy, if any, a URL goes through.

    Args:
        http: proxy for http:// URLs.
        https: proxy for https:// URLs (reached with CONNECT).
        no_proxy: hosts that bypass the proxy: ``*``, names (matching subdomains too, with or
            without a leading dot), IP addresses and CIDR blocks, optionally with ``:port``.
    """

    def __init__(
        self, http: Proxy | None = None, https: Proxy | None = None, no_proxy: str = ""
    ) -> None:
        self.http = http
        self.https = https
        self._no_proxy = [e.strip().lower() for e in no_proxy.split(",") if e.strip()]

    def __bool__(self) -> bool:
        return self.http is not None or self.https is not None

    def bypass(self, url: URL) -> bool:
        """Whether ``url`` matches NO_PROXY."""
        host = url.host
        for entry in self._no_proxy:
            if entry == "*":
                return True
            name, port = entry, None
            if entry.count(":") == 1 and not entry.startswith("["):
                name, _, port_text = entry.partition(":")
                port = int(port_text) if port_text.isdigit() else None
            name = name.strip("[]")
            if port is not None and port != url.port:
                continue
            if "/" in name:
                try:
                    if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                        return True
                except ValueError:
                    pass
                continue
            name = name.lstrip(".")
            if host == name or host.endswith("." + name):
                return True
        return False

    def for_url(self, url: URL) -> Proxy | None:
        """The proxy to use for ``url``, or None to connect directly."""
        proxy = self.https if url.scheme == "https" else self.http
        if proxy is None or self.bypass(url):
            return None
        return proxy


def proxies_from_env(environ: Mapping[str, str] | None = None) -> ProxyConfig:
    """Read the proxy variables from ``environ`` (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    all_proxy = _env(env, "ALL_PROXY")
    http = _env(env, "HTTP_PROXY") or all_proxy
    https = _env(env, "HTTPS_PROXY") or all_proxy
    return ProxyConfig(
        http=Proxy(http) if http else None,
        https=Proxy(https) if https else None,
        no_proxy=_env(env, "NO_PROXY") or "",
    )
