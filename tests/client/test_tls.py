"""HTTPS: verification on by default, a custom CA, an untrusted certificate refused, mutual TLS
with a client certificate; both clients."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

import crlf

from .tls import make_cert, tls_server


def test_untrusted_certificate_is_refused() -> None:
    with (
        tls_server() as (port, _ca),
        crlf.Client() as client,
        pytest.raises(crlf.ConnectError, match="TLS"),
    ):
        client.get(f"https://localhost:{port}/")


def test_custom_ca_and_reuse() -> None:
    with tls_server() as (port, ca), crlf.Client(verify=ca) as client:
        for i in range(5):
            assert client.get(f"https://localhost:{port}/{i}").content == b"tls ok /%d" % i
        assert client.pool.connections_opened == 1


def test_verify_false_and_hostname() -> None:
    with tls_server() as (port, ca):
        with crlf.Client(verify=False) as client:
            assert client.get(f"https://127.0.0.1:{port}/").status_code == 200
        with crlf.Client(verify=ca) as client:  # the certificate names 127.0.0.1 too
            assert client.get(f"https://127.0.0.1:{port}/").status_code == 200


def test_client_certificate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_cert(Path(tmp), "client")
        with tls_server(client_ca=cert) as (port, ca):
            with crlf.Client(verify=ca, cert=(str(cert), str(key))) as client:
                assert client.get(f"https://localhost:{port}/mtls").content == b"tls ok /mtls"
            with crlf.Client(verify=ca) as client, pytest.raises(crlf.TransportError):
                client.get(f"https://localhost:{port}/mtls")


def test_async_https() -> None:
    async def main(port: int, ca: str) -> None:
        async with crlf.AsyncClient(verify=ca) as client:
            results = await asyncio.gather(
                *(client.get(f"https://localhost:{port}/a") for _ in range(10))
            )
            assert {r.content for r in results} == {b"tls ok /a"}
        async with crlf.AsyncClient() as client:
            with pytest.raises(crlf.ConnectError):
                await client.get(f"https://localhost:{port}/")

    with tls_server() as (port, ca):
        asyncio.run(main(port, ca))
