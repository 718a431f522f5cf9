"""External judges on ``crlf demo`` and ``crlf serve``, each started as a real command line.

- REDbot (``redbot_check.sh --allow FRESHNESS_HEURISTIC``) finds no 'bad' note on the demo's
  ``/`` (plain and French), an image, a range request and the missing page;
- ``curl_check.sh`` passes on ``crlf serve`` (keep-alive, HTTP/1.0, HEAD, ranges, conditionals,
  compression, traversal);
- ``browser_check.py``: headless Chromium loads the demo, every subresource succeeds, reloads
  open no new connection, and the demo's WebSocket echo passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.files.serving import run_cli

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.interop

ROOT = Path(__file__).resolve().parents[2]
JUDGES = ROOT / "tests" / "judges"
if not (JUDGES / "redbot_check.sh").exists():  # before infra copied them into the project
    JUDGES = ROOT.parent / "shared" / "judges"
JUDGES_VENV = Path(os.environ.get("REDBOT_VENV", "/tmp/judges/venv"))


def _need(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (scripts/setup-test.sh installs it)")


def _need_judges_venv() -> Path:
    python = JUDGES_VENV / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{JUDGES_VENV} is missing (scripts/setup-test.sh creates it)")
    return python


def _run(argv: list[str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with run_cli("demo") as url:
        yield url


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", []),
        ("/", ["-H", "Accept-Language: fr"]),
        ("/img/crlf.png", []),
        ("/style.css", ["-H", "Range: bytes=0-99"]),
        ("/no-such-page", []),
    ],
    ids=["home", "home-fr", "image", "range", "missing"],
)
def test_redbot_finds_nothing_bad(demo_url: str, path: str, headers: list[str]) -> None:
    _need_judges_venv()
    result = _run(
        [
            "bash",
            str(JUDGES / "redbot_check.sh"),
            "--allow",
            "FRESHNESS_HEURISTIC",
            "-v",
            *headers,
            demo_url + path,
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout


def test_curl_check_on_crlf_serve(tmp_path: Path) -> None:
    _need("curl")
    data = b"".join(b"%06d the quick brown fox jumps over the lazy dog\n" % i for i in range(600))
    (tmp_path / "big.txt").write_bytes(data)
    with run_cli("serve", str(tmp_path), "--gzip-min-size", "1024") as url:
        result = _run(
            ["bash", str(JUDGES / "curl_check.sh"), url, "/big.txt", str(tmp_path / "big.txt")]
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout
    assert "FAIL" not in result.stdout


@pytest.mark.parametrize("page", ["/", "/push.html", "/contact.html"])
def test_browser_loads_the_demo_and_reuses_connections(demo_url: str, page: str) -> None:
    _need("chromium")
    python = _need_judges_venv()
    argv = [
        str(python),
        str(JUDGES / "browser_check.py"),
        "--page",
        demo_url + page,
        "--reload",
        "2",
    ]
    if page == "/":
        argv += ["--ws", demo_url.replace("http://", "ws://") + "/ws/echo"]
    result = _run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "keep-alive across page loads" in result.stdout
    assert "opened 0 new TCP connection(s)" in result.stdout  # reloads ride the same sockets
    assert "RESULT: PASS" in result.stdout


def test_cli_help_lists_serve_and_demo() -> None:
    result = _run([sys.executable, "-m", "crlf", "--help"], timeout=60)
    assert "serve" in result.stdout
    assert "demo" in result.stdout
