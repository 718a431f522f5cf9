"""Autobahn|Testsuite cases (run by kosoku, tests/judges/ws_conformance.sh) against crlf, both ways.

- Server: ``crlf run`` serving the ASGI echo app (benchmarks/ws_echo_app.py), the core case set
  (framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8, close, auto-fragmentation),
  and the permessage-deflate cases of groups 12 and 13 with ``--require-deflate``, in a light
  batch (two cases at a time) and a heavy one (one at a time).
- Client: kosoku's fuzzing server drives ``crlf.wsclient.connect`` through the core cases.

The full run (``--full --require-deflate``, 517 cases with 16 MiB messages) takes 10-15 minutes on
two cores; it is run by hand (see the issue), not here.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crlf.wsclient import WebSocketClosed, connect

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
JUDGES = ROOT / "tests" / "judges"
JUDGES_VENV = Path(os.environ.get("KOSOKU_VENV", "/tmp/judges/venv"))
KOSOKU = JUDGES_VENV / "bin" / "kosoku"
CORE = ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"]

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not KOSOKU.exists(), reason=f"{KOSOKU} missing (scripts/setup-test.sh)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    """Block until something accepts on ``port`` (the child prints nothing we could wait on)."""
    for _ in range(400):
        assert proc.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            try:  # wait a little, but notice at once if the child died
                proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
    pytest.fail("the server did not listen")


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crlf",
            "run",
            "ws_echo_app:app",
            "--app-dir",
            str(ROOT / "benchmarks"),
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_listening(port, proc)
        yield f"ws://127.0.0.1:{port}/"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()


def run_judge(url: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(JUDGES / "ws_conformance.sh"), *args, url],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def judge(url: str, *args: str, timeout: float = 600) -> str:
    result = run_judge(url, *args, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASS" in result.stdout
    return result.stdout


def test_server_core_cases(echo_server: str) -> None:
    judge(echo_server, "--cases", ",".join(CORE))


# The permessage-deflate cases (groups 12 and 13: every payload and parameter set), in two
# batches. Sub-cases 9, 10, 14, 17 and 18 send 1000 messages of 64 or 128 KiB: three quarters of
# the time, zlib-bound on both sides, near kosoku's fixed 20 s per case on two loaded cores, so
# they run one at a time. The other sub-cases are light and run two at a time.
DEFLATE_HEAVY = ["9", "10", "14", "17", "18"]
# Sub-cases 15 and 16 (1000 messages of 128 KiB cut into 256- or 1024-byte frames: ~450,000
# frames each) measure kosoku's own Python framing as much as the server: on two shared cores
# uvicorn + websockets times out on them too. They are left to the manual full run.
THROUGHPUT_BOUND = ["15", "16"]
_NOT_FINISHED = "Case did not finish within"


def subcase_globs(subcases: list[str]) -> list[str]:
    """kosoku case patterns: these sub-cases of every 12.x (payloads) and 13.x (parameters) set.

    kosoku matches a pattern against the start of a case id ("12.*.1" also selects 12.2.10), so
    patterns name sub-cases of two digits, or of one digit with none of two after it (9).
    """
    return [f"{group}.*.{sub}" for group in (12, 13) for sub in subcases]


def light_batch() -> list[str]:
    """``ws_conformance.sh`` arguments: all of 12.* and 13.* but the heavy and throughput cases."""
    excludes = subcase_globs(DEFLATE_HEAVY + THROUGHPUT_BOUND)
    return ["--cases", "12.*,13.*", *(arg for case in excludes for arg in ("--exclude", case))]


def heavy_batch() -> list[str]:
    """``ws_conformance.sh`` arguments: the heavy sub-cases of 12.* and 13.*."""
    return ["--cases", ",".join(subcase_globs(DEFLATE_HEAVY))]


def run_deflate_batch(
    url: str, batch: list[str], parallel: int, out: Path, timeout: float = 900
) -> None:
    """Run a batch with ``--require-deflate``; a case that only ran out of time runs once more.

    Every case must pass. kosoku stops each case after 20 s (not configurable), and a loaded
    machine can push a 128 KiB x 1000 case past that while it is correct; such a case (its report
    says it "did not finish", nothing else failed) gets one more run on its own, one at a time.
    Any other failure fails at once.
    """
    args = [*batch, "--require-deflate", "--timeout", str(int(timeout))]
    result = run_judge(url, *args, "-p", str(parallel), "--out", str(out), timeout=timeout + 60)
    if result.returncode == 0 and "RESULT: PASS" in result.stdout:
        return
    index = out / "index.json"
    assert index.is_file(), result.stdout + result.stderr  # a harness error: no report at all
    reports = json.loads(index.read_text())["crlf"]
    late: list[str] = []
    for case, summary in reports.items():
        if summary["behavior"] in ("OK", "NON-STRICT", "INFORMATIONAL") and summary[
            "behaviorClose"
        ] in ("OK", "INFORMATIONAL"):
            continue
        detail = json.loads((out / summary["reportfile"]).read_text())
        assert str(detail.get("result", "")).startswith(_NOT_FINISHED), result.stdout
        late.append(case)
    assert late, result.stdout + result.stderr
    retry = ["--cases", ",".join(late), "--require-deflate", "--timeout", "600"]
    judge(url, *retry, "-p", "1", "--out", str(out / "retry"), timeout=660)


def test_deflate_batches_cover_every_case() -> None:
    # Between them the two batches run every sub-case (1-18) of 12.* and 13.* but 15 and 16,
    # each once: every case the single deflate run ran before it was split.
    assert not set(DEFLATE_HEAVY) & set(THROUGHPUT_BOUND)
    assert set(DEFLATE_HEAVY) | set(THROUGHPUT_BOUND) <= {str(n) for n in range(1, 19)}
    # kosoku's prefix matching: no pattern may be the start of another sub-case number.
    for sub in DEFLATE_HEAVY + THROUGHPUT_BOUND:
        assert len(sub) == 2 or not any(str(n).startswith(sub) for n in range(10, 19))
    assert heavy_batch() == [
        "--cases",
        "12.*.9,12.*.10,12.*.14,12.*.17,12.*.18,13.*.9,13.*.10,13.*.14,13.*.17,13.*.18",
    ]
    assert light_batch()[:2] == ["--cases", "12.*,13.*"]
    assert light_batch()[2:].count("--exclude") == 14


@pytest.mark.slow
def test_server_deflate_cases_light(echo_server: str, tmp_path: Path) -> None:
    run_deflate_batch(echo_server, light_batch(), 2, tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # 60 cases of up to 20 s each, and the retries
def test_server_deflate_cases_heavy(echo_server: str, tmp_path: Path) -> None:
    run_deflate_batch(echo_server, heavy_batch(), 1, tmp_path, timeout=1200)


async def run_client_cases(base: str) -> None:
    """The Autobahn client protocol: echo every message of every case, then update the report."""
    ws = await connect(f"{base}/getCaseCount")
    count = int(await ws.recv())
    await ws.wait_closed()
    for case in range(1, count + 1):
        ws = await connect(f"{base}/runCase?case={case}&agent=crlf")
        try:
            async for message in ws:
                await ws.send(message)
        except WebSocketClosed:
            pass
        await ws.close()
    ws = await connect(f"{base}/updateReports?agent=crlf")
    await ws.wait_closed()  # the reports are written before the server ends this connection


def test_client_core_cases(tmp_path: Path) -> None:
    port = free_port()
    includes = [arg for case in CORE for arg in ("-i", case)]
    proc = subprocess.Popen(
        [str(KOSOKU), "-m", "fuzzingserver", f"127.0.0.1:{port}", *includes, "-o", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert "listening" in proc.stdout.readline()
        asyncio.run(run_client_cases(f"ws://127.0.0.1:{port}"))
        # kosoku says so once index.json is written (after the updateReports connection).
        for line in proc.stdout:
            if line.startswith("wrote reports"):
                break
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        proc.stdout.close()
    index = json.loads((tmp_path / "index.json").read_text())
    cases = index["crlf"]
    bad = {
        case: (result["behavior"], result["behaviorClose"])
        for case, result in cases.items()
        if result["behavior"] not in ("OK", "NON-STRICT", "INFORMATIONAL")
        or result["behaviorClose"] not in ("OK", "INFORMATIONAL")
    }
    assert len(cases) > 200
    assert not bad, bad
