"""The external judges (tests/judges/) work on this machine: controls, not tests of crlf.

Each judge is run once against a server whose verdict is known: nginx (a positive control: the
judges were proven against it) and fixtures/badserver.py (a negative control: a judge that passes
it is not judging). A failure here means scripts/setup-test.sh left the machine without something
the crlf tests that call these judges rely on, so their verdicts would not mean anything.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

JUDGES = Path(__file__).resolve().parent / "judges"
JUDGES_VENV = Path(os.environ.get("REDBOT_VENV", "/tmp/judges/venv"))
PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>judge control</title>
<link rel="stylesheet" href="style.css"></head>
<body><h1>judge control page</h1><p>A page with one subresource, served by nginx.</p></body></html>
"""

pytestmark = pytest.mark.interop


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (for programs that need a number)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def need(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} is not installed (scripts/setup-test.sh installs it)")
    return path


@pytest.fixture(scope="module")
def nginx_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx serving a small static site on 127.0.0.1; yields its base URL."""
    nginx = need("nginx")
    root = tmp_path_factory.mktemp("nginx")
    www = root / "www"
    www.mkdir()
    (www / "index.html").write_bytes(PAGE)
    (www / "style.css").write_bytes(b"body { font-family: sans-serif }\n")
    (www / "big.txt").write_bytes(b"0123456789abcdef" * 256)
    port = free_port()
    (root / "nginx.conf").write_text(
        f"""
user root;
worker_processes 1;
daemon on;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/tmp-body;
    proxy_temp_path {root}/tmp-proxy;
    fastcgi_temp_path {root}/tmp-fastcgi;
    uwsgi_temp_path {root}/tmp-uwsgi;
    scgi_temp_path {root}/tmp-scgi;
    types {{ text/html html; text/css css; text/plain txt; }}
    server {{ listen 127.0.0.1:{port}; root {www}; }}
}}
"""
    )
    # With `daemon on` nginx returns once its socket listens: no polling needed.
    subprocess.run(
        [nginx, "-p", str(root), "-e", str(root / "error.log"), "-c", str(root / "nginx.conf")],
        check=True,
        timeout=30,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        pid = int((root / "nginx.pid").read_text())
        os.kill(pid, signal.SIGQUIT)


@pytest.fixture(scope="module")
def bad_server() -> Iterator[str]:
    """fixtures/badserver.py (the negative control) on 127.0.0.1; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(JUDGES / "fixtures" / "badserver.py"), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Wait until it accepts, bounded: connect attempts, not sleeps.
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("badserver.py exited") from None
                try:
                    proc.wait(timeout=0.025)
                except subprocess.TimeoutExpired:
                    pass
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def run(argv: list[str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def test_curl_check_passes_on_nginx(nginx_site: str) -> None:
    need("curl")
    result = run(["bash", str(JUDGES / "curl_check.sh"), nginx_site, "/big.txt"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout


def redbot() -> None:
    if not (JUDGES_VENV / "bin" / "python").exists():
        pytest.skip(f"{JUDGES_VENV} is missing (scripts/setup-test.sh creates it)")


def test_redbot_passes_nginx(nginx_site: str) -> None:
    redbot()
    result = run(["bash", str(JUDGES / "redbot_check.sh"), f"{nginx_site}/big.txt"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_redbot_fails_the_negative_control(bad_server: str) -> None:
    redbot()
    result = run(["bash", str(JUDGES / "redbot_check.sh"), f"{bad_server}/range-bad"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RANGE_INCORRECT" in result.stdout


def test_chromium_loads_a_page(nginx_site: str) -> None:
    need("chromium")
    pytest.importorskip("websockets", reason="browser_check.py drives Chromium with websockets")
    result = run(
        [sys.executable, str(JUDGES / "browser_check.py"), "--page", f"{nginx_site}/index.html"]
    )
    assert result.returncode == 0, result.stdout + result.stderr
