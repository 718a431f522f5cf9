"""A tiny HTTPS origin for tests: a self-signed certificate made with the openssl command line
(for localhost and 127.0.0.1) and a threaded TLS server answering ``tls ok <path>``."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator


def make_cert(directory: Path, name: str = "server") -> tuple[Path, Path]:
    """A self-signed certificate and key; skips the test when openssl is missing."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def tls_server(client_ca: Path | None = None) -> Iterator[tuple[int, str]]:
    """Yields (port, CA file to trust). With ``client_ca`` the server requires a client cert."""
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_cert(Path(tmp))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if client_ca is not None:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca)
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        stop = threading.Event()

        def serve_one(raw: socket.socket) -> None:
            try:
                with ctx.wrap_socket(raw, server_side=True) as s:
                    buf = b""
                    while True:
                        while b"\r\n\r\n" not in buf:
                            data = s.recv(65536)
                            if not data:
                                return
                            buf += data
                        head, _, buf = buf.partition(b"\r\n\r\n")
                        path = head.split(b" ")[1]
                        body = b"tls ok " + path
                        s.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                        )
            except (OSError, ssl.SSLError):
                pass

        def accept() -> None:
            while not stop.is_set():
                try:
                    raw, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=serve_one, args=(raw,), daemon=True).start()

        t = threading.Thread(target=accept, daemon=True)
        t.start()
        try:
            yield port, str(cert)
        finally:
            stop.set()
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
            listener.close()
            t.join(5)
