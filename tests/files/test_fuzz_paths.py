"""Fuzz: thousands of crafted paths, and nothing outside the root is ever served.

The paths are built from the pieces that path-traversal attacks use (dot segments plain, percent-
encoded, double-encoded, overlong UTF-8 and full-width; encoded and backslash separators; NUL and
CRLF; absolute and drive-letter prefixes; symbolic links that leave the root; hidden files) glued
in random orders with a fixed seed. Each one is sent to StaticFiles directly as an ASGI scope
(as a server that passed it through would), and a sample over a real socket through crlf's
server. The invariants: the secret that lives only outside the root (and in hidden files) is never
in a response, and every 200 carries exactly the bytes of a file inside the root.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest

from crlf.files import StaticFiles
from tests.files.conftest import OLD
from tests.files.serving import serve_app

if TYPE_CHECKING:
    from pathlib import Path

SECRET = b"FUZZ-SECRET-OUTSIDE"

PIECES = [
    "..",
    ".",
    "...",
    "%2e%2e",
    "%2E%2E",
    "%2e.",
    ".%2e",
    "%252e%252e",
    "%25%32%65",
    "%c0%ae%c0%ae",
    "%e0%80%ae%e0%80%ae",
    "%ef%bc%8e%ef%bc%8e",
    "\uff0e\uff0e",
    "..;",
    "..%00",
    "%00",
    "%0d%0a",
    "%2f",
    "%2F",
    "%5c",
    "%5C",
    "\\",
    "..\\..",
    "%c0%af",
    "%e2%88%95",
    "",
    "/",
    "//",
    "~",
    "%7e",
    "*",
    "C:",
    "C%3a",
    "file:",
    "http:",
    "?",
    "#",
    ";",
    "%3f",
    "outside",
    "secret.txt",
    "root-other",
    "link-out.txt",
    "dir-out",
    "dir-out%2fsecret.txt",
    ".env",
    "%2eenv",
    ".git",
    "config",
    ".hidden",
    "_redirects",
    "etc",
    "passwd",
    "proc",
    "self",
    "environ",
    "hello.txt",
    "sub",
    "index.html",
    "inside.txt",
    "a b",
    "%20",
]
SEPARATORS = ["/", "/", "/", "%2f", "\\", "%5c", "//", "/./", "/../"]


def build_site(tmp: Path) -> tuple[Path, dict[bytes, None]]:
    """A root with ordinary files, and secrets outside it, in dotfiles and behind symlinks."""
    root, outside = tmp / "root", tmp / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (tmp / "root-other").mkdir()
    files = {
        root / "hello.txt": b"hello inside\n",
        root / "inside.txt": b"inside file\n",
        root / "index.html": b"<!DOCTYPE html><title>index</title>\n",
        root / "sub" / "index.html": b"<!DOCTYPE html><title>sub</title>\n",
        root / "sub" / "hello.txt": b"sub hello\n",
    }
    for path, data in files.items():
        path.write_bytes(data)
    for secret in (
        outside / "secret.txt",
        tmp / "root-other" / "secret.txt",
        tmp / "secret.txt",
        root / ".env",
        root / ".hidden",
        root / "sub" / ".hidden",
    ):
        secret.write_bytes(SECRET)
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(SECRET)
    (root / "_redirects").write_bytes(b"# " + SECRET + b"\n/r /hello.txt 302\n")
    (root / "link-out.txt").symlink_to(outside / "secret.txt")
    (root / "dir-out").symlink_to(outside)
    (root / "sub" / "up").symlink_to(tmp)
    (root / "loop").symlink_to(root / "loop")
    for path in [*files, root / "_redirects"]:
        os.utime(path, (OLD, OLD))
    return root, dict.fromkeys(files.values())


def crafted_paths(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 7))]
        path = ""
        for part in parts:
            path += rng.choice(SEPARATORS) + part
        if rng.random() < 0.1:
            path = path.lstrip("/")  # not origin-form at all
        paths.append(path.encode("utf-8"))
    return paths


async def call(app: StaticFiles, raw_path: bytes) -> tuple[int, bytes]:
    """One GET through the ASGI interface, as a server would make it."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": unquote(raw_path.decode("latin-1").split("?", 1)[0]),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [(b"accept-encoding", b"identity")],
    }
    await app(scope, receive, send)
    status = messages[0]["status"]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return status, body


def check(status: int, body: bytes, inside: dict[bytes, None], path: bytes) -> None:
    assert SECRET not in body, f"{path!r} leaked a secret"
    if status == 200:
        assert body in inside, f"{path!r} served something that is not a file of the root"


@pytest.mark.parametrize(
    "options",
    [{}, {"allow_dotfiles": True, "listing": True}],
    ids=["defaults", "dotfiles-and-listing"],
)
def test_crafted_paths_in_process(tmp_path: Path, options: dict[str, bool]) -> None:
    root, inside = build_site(tmp_path)
    if options.get("allow_dotfiles"):
        # Dotfiles inside the root are then fair game: keep secrets only outside it.
        for hidden in (
            root / ".env",
            root / ".hidden",
            root / "sub" / ".hidden",
            root / ".git" / "config",
        ):
            hidden.write_bytes(b"hidden but inside\n")
            inside[b"hidden but inside\n"] = None
    app = StaticFiles(
        root,
        allow_dotfiles=options.get("allow_dotfiles", False),
        listing=options.get("listing", False),
    )
    paths = crafted_paths(6000, seed=4)
    statuses: dict[int, int] = {}

    async def run_all() -> None:
        for path in paths:
            status, body = await call(app, path)
            if (
                status == 200
                and options.get("listing")
                and body.startswith(b"<!DOCTYPE html>\n<html><head>")
            ):
                inside[body] = None  # a generated listing of a directory inside the root
            check(status, body, inside, path)
            statuses[status] = statuses.get(status, 0) + 1

    asyncio.run(run_all())
    # The corpus reaches real files too, or the test would prove nothing.
    assert statuses.get(200, 0) > 50
    assert statuses.get(404, 0) > 1000
    assert set(statuses) <= {200, 301, 302, 404}


def test_crafted_paths_over_a_socket(tmp_path: Path) -> None:
    root, inside = build_site(tmp_path)
    paths = crafted_paths(1200, seed=2026)
    served = 0
    with serve_app(StaticFiles(root)) as url:
        port = int(url.rsplit(":", 1)[1])
        for path in paths:
            if any(c in path for c in b" #\\\x00") or not path.startswith(b"/"):
                continue  # the server's parser refuses these before the app (tested in-process)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    head_end = data.find(b"\r\n\r\n")
                    if head_end >= 0:
                        head = data[:head_end].lower()
                        length = int(head.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
                        if len(data) >= head_end + 4 + length:
                            break
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            status = int(data.split(b" ", 2)[1])
            body = data.split(b"\r\n\r\n", 1)[1]
            check(status, body, inside, path)
            served += 1
    assert served > 300
