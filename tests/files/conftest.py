"""Fixtures for the static-file tests: a site on disk and a server serving it on 127.0.0.1."""

from __future__ import annotations

import gzip
import os
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from crlf.files import StaticFiles
from tests.files.serving import serve_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Older than the racy window of the cache (crlf.files._cache.RACY_NS), so files are cached.
OLD = 1_600_000_000  # 2020-09-13
SECRET = b"TOP-SECRET-OUTSIDE-THE-ROOT"
BIG_SIZE = 3 * 1024 * 1024 + 17  # above the 1 MiB cache entry limit: streamed


@dataclass
class Site:
    """A served site: its root, the directory beside it, and the server's base URL."""

    root: Path
    outside: Path
    url: str
    app: StaticFiles


def _write(path: Path, data: bytes, mtime: int = OLD) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def make_site(tmp: Path) -> tuple[Path, Path]:
    """Build the test site under ``tmp``: returns (root, outside)."""
    root, outside = tmp / "root", tmp / "outside"
    text = b"".join(b"line %04d of the plain text file\n" % i for i in range(40))
    _write(root / "hello.txt", text)
    _write(root / "index.html", b"<!DOCTYPE html><title>en</title><p>Hello</p>\n")
    _write(root / "index.fr.html", b"<!DOCTYPE html><title>fr</title><p>Bonjour</p>\n")
    _write(root / "index.es.html", b"<!DOCTYPE html><title>es</title><p>Hola</p>\n")
    _write(root / "404.html", b"<!DOCTYPE html><title>404</title><p>Custom not found</p>\n")
    _write(root / "404.fr.html", b"<!DOCTYPE html><title>404</title><p>Introuvable</p>\n")
    css = b"body { color: #333; }\n" * 200
    _write(root / "style.css", css)
    _write(root / "style.css.gz", gzip.compress(css, mtime=0))
    _write(root / "app.js", b"console.log('x');\n" * 300)
    _write(root / "app.js.gz", gzip.compress(b"console.log('x');\n" * 300, mtime=0))
    _write(root / "app.js.br", b"not really brotli, but the server does not look inside")
    _write(root / "image.png", bytes(range(256)) * 8)
    _write(root / "big.bin", os.urandom(BIG_SIZE))
    _write(root / "sub" / "index.html", b"<!DOCTYPE html><title>sub</title>\n")
    _write(root / "sub" / "page.html", b"<!DOCTYPE html><p>sub page</p>\n")
    _write(root / "noindex" / "a<b>&.txt", b"escaped\n")
    _write(root / "noindex" / "plain.txt", b"plain\n")
    _write(root / "noindex" / ".hidden", b"hidden\n")
    _write(root / ".env", b"SECRET=1 " + SECRET)
    _write(root / ".git" / "config", SECRET)
    _write(
        root / "_redirects",
        b"/old /hello.txt 301\n/temp /hello.txt 302\n/see /hello.txt 303\n/tmp /hello.txt 307\n/perm /hello.txt 308\n/blog/* /sub/:splat 302\n",
    )
    _write(outside / "secret.txt", SECRET)
    _write(tmp / "root-other" / "secret.txt", SECRET)  # a sibling sharing the root's prefix
    (root / "link-out.txt").symlink_to(outside / "secret.txt")
    (root / "dir-out").symlink_to(outside)
    (root / "link-in.txt").symlink_to(root / "hello.txt")
    (root / "loop").symlink_to(root / "loop")  # ELOOP on every stat
    (root / "loop-a").symlink_to(root / "loop-b")
    (root / "loop-b").symlink_to(root / "loop-a")
    return root, outside


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The test site served by StaticFiles with its defaults (gzip on for compressible > 256 B)."""
    root, outside = make_site(tmp_path_factory.mktemp("site"))
    app = StaticFiles(root, gzip_min_size=256)
    with serve_app(app) as url:
        yield Site(root, outside, url, app)


def raw_request(url: str, request: bytes) -> bytes:
    """Send one raw request on a new connection and read its response (head + Content-Length body).

    The raw bytes let a test send targets that httpx would normalise (``/../x``, ``%2e%2e``).
    """
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        length = int(match.group(1)) if match else 0
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return head + b"\r\n\r\n" + body
