"""Who really sent a request behind a reverse proxy (``--proxy-headers``).

A proxy in front of the server rewrites the connection: the TCP peer is the proxy, the scheme is
whatever the proxy spoke to us. It reports the original values in ``X-Forwarded-For``,
``X-Forwarded-Proto``, ``X-Forwarded-Host`` or the standard ``Forwarded`` field (RFC 7239 §4).
Anyone can send those fields, so they are believed only when the TCP peer is a trusted proxy
(``--forwarded-allow-ips``), and the forwarded chain is walked from the right (the hop nearest to
us) to the first address that is not a trusted proxy: that is the client (RFC 7239 §7.4; the same
rule as nginx ``real_ip_recursive on``). Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

__all__ = ["Forwarded", "TrustedProxies", "resolve_forwarded"]


class TrustedProxies:
    """A set of trusted proxy addresses: literal IPs, CIDR networks, or ``*`` for everyone.

    Args:
        items: the entries of ``--forwarded-allow-ips``.
    """

    __slots__ = ("_all", "_hosts", "_networks")

    def __init__(self, items: list[str]) -> None:
        self._all = "*" in items
        self._hosts: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in items:
            if item == "*":
                continue
            if "/" in item:
                self._networks.append(ipaddress.ip_network(item, strict=False))
            else:
                self._hosts.add(item)

    def __contains__(self, host: object) -> bool:
        if self._all:
            return True
        if not isinstance(host, str):
            return False
        if host in self._hosts:
            return True
        if not self._networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a name or an obfuscated identifier (RFC 7239 §6.3)
            return False
        return any(address in network for network in self._networks)


class Forwarded(NamedTuple):
    """What the trusted proxies reported; ``None`` fields were not reported."""

    client: tuple[str, int] | None
    scheme: str | None
    host: bytes | None


_NOTHING = Forwarded(None, None, None)
_FORWARDING_FIELDS = frozenset(
    (b"forwarded", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")
)
_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


def _split_node(node: str) -> tuple[str, int]:
    """Split an RFC 7239 §6 node (``1.2.3.4:80``, ``"[::1]:80"``, ``unknown``) into host, port."""
    node = node.strip().strip('"')
    port = 0
    if node.startswith("["):  # IPv6 in brackets, optional port
        end = node.find("]")
        host = node[1:end] if end > 0 else node[1:]
        rest = node[end + 1 :] if end > 0 else ""
        if rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6:
            port = int(rest[1:])
        return host, port
    if node.count(":") == 1:
        host, _, port_text = node.partition(":")
        if port_text.isdigit() and len(port_text) <= 5:
            port = int(port_text)
        return host, port
    return node, port


def _parse_forwarded(values: list[bytes]) -> list[dict[str, str]]:
    """The elements of every ``Forwarded`` field, in order (RFC 7239 §4: a list of pairs)."""
    elements: list[dict[str, str]] = []
    for value in values:
        text = value.decode("latin-1")
        # Quoted strings never contain the separators in practice (IPv6 and ports are quoted
        # only to hide ':' and '[]'), so a plain split suffices; a malformed pair is dropped.
        for element in text.split(","):
            pairs: dict[str, str] = {}
            for pair in element.split(";"):
                name, sep, raw = pair.partition("=")
                if sep:
                    pairs[name.strip().lower()] = raw.strip().strip('"')
            if pairs:
                elements.append(pairs)
    return elements


def resolve_forwarded(
    peer_host: str | None,
    headers: list[tuple[bytes, bytes]],
    trusted: TrustedProxies,
) -> Forwarded:
    """Work out the original client, scheme and host of a proxied request.

    Args:
        peer_host: the TCP peer's address (``None`` on a Unix socket, which is trusted: only
            local processes the socket's permissions admit can connect).
        headers: the request's ASGI header list (lowercased names).
        trusted: the trusted proxies.

    Returns:
        The reported values, each ``None`` when not reported or not to be believed.
    """
    if peer_host is not None and peer_host not in trusted:
        return _NOTHING
    for name, _ in headers:  # the common case, no forwarding fields: one set lookup per field
        if name in _FORWARDING_FIELDS:
            break
    else:
        return _NOTHING
    forwarded: list[bytes] = []
    xff: list[bytes] = []
    proto: bytes | None = None
    xhost: bytes | None = None
    for name, value in headers:
        if name == b"forwarded":
            forwarded.append(value)
        elif name == b"x-forwarded-for":
            xff.append(value)
        elif name == b"x-forwarded-proto":
            proto = value
        elif name == b"x-forwarded-host":
            xhost = value
    if forwarded:  # RFC 7239 supersedes the X-Forwarded-* family when both are present
        elements = _parse_forwarded(forwarded)
        chosen: dict[str, str] | None = None
        for element in reversed(elements):
            chosen = element
            node = element.get("for")
            if node is None or _split_node(node)[0] not in trusted:
                break
        if chosen is None:
            return _NOTHING
        client = _split_node(chosen["for"]) if "for" in chosen else None
        scheme = _SCHEMES.get(chosen.get("proto", "").lower())
        host = chosen["host"].encode("latin-1") if chosen.get("host") else None
        return Forwarded(client, scheme, host)
    client_t: tuple[str, int] | None = None
    if xff:
        hops = [hop.strip() for value in xff for hop in value.decode("latin-1").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            chosen_hop = hops[0]  # every hop trusted: the leftmost is the client
            for hop in reversed(hops):
                if hop not in trusted:
                    chosen_hop = hop
                    break
            client_t = (chosen_hop, 0)
    scheme_s: str | None = None
    if proto is not None:
        # The nearest proxy's value is the last list element.
        last = proto.decode("latin-1").split(",")[-1].strip().lower()
        scheme_s = _SCHEMES.get(last)
    host_b: bytes | None = None
    if xhost is not None:
        host_b = xhost.split(b",")[-1].strip() or None
    return Forwarded(client_t, scheme_s, host_b)
