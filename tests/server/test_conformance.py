"""The shared llhttp conformance corpus against ``python -m crlf run echo_app:app`` (issue 3).

``../shared/conformance/run.py`` starts the server itself, replays 119 raw-byte vectors and judges
the responses; it must pass all of them in the plain, ``--inject-host`` and ``--exact`` modes.
The corpus is read where it lives, never copied; without it the test is skipped with a reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["plain", "--inject-host", "--exact"])
def test_llhttp_corpus_all_pass(mode: str, tmp_path: Path) -> None:
    runner = CONFORMANCE / "run.py"
    if not runner.exists():
        pytest.skip(f"../shared/conformance is absent ({CONFORMANCE}); nothing to run")
    command = f"{sys.executable} -m crlf run echo_app:app --host 127.0.0.1 --port {{port}}"
    command += " --log-level warning"
    args = [sys.executable, str(runner), "--server", command, "llhttp-requests.jsonl", "-q"]
    args += ["--json", str(tmp_path / "out.json")]
    if mode != "plain":
        args.append(mode)
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        args, cwd=CONFORMANCE, capture_output=True, text=True, timeout=600, env=env, check=False
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "119 passed, 0 failed" in summary
