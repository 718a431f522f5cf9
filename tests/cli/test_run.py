"""``crlf run`` and the ``crlf`` dispatcher, called as ``main([...])``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crlf.cli import main
from crlf.cli.run import config_from_args


def test_help_lists_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "run" in capsys.readouterr().out


def test_no_command_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: crlf" in capsys.readouterr().out


def test_run_options_use_uvicorn_names() -> None:
    from crlf.cli import build_parser

    parser, _ = build_parser()
    args = parser.parse_args(
        [
            "run",
            "m:app",
            "--host",
            "0.0.0.0",
            "--port",
            "8080",
            "--workers",
            "2",
            "--timeout-keep-alive",
            "15",
            "--max-requests-per-connection",
            "100",
            "--no-access-log",
            "--forwarded-allow-ips",
            "10.0.0.1,10.0.0.2",
            "--trace",
            "--interface",
            "wsgi",
            "--loop",
            "asyncio",
            "--root-path",
            "/api",
        ]
    )
    config = config_from_args(args)
    assert (config.host, config.port, config.workers) == ("0.0.0.0", 8080, 2)
    assert (config.timeout_keep_alive, config.max_requests_per_connection) == (15.0, 100)
    assert not config.access_log
    assert config.trace
    assert config.trusted_proxies() == ["10.0.0.1", "10.0.0.2"]
    assert (config.interface, config.loop, config.root_path) == ("wsgi", "asyncio", "/api")


def test_bad_option_value_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "m:app", "--workers", "0"]) == 2
    assert "workers must be at least 1" in capsys.readouterr().err


def test_bad_app_returns_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "nocolon", "--port", "0"]) == 1
    assert '"<module>:<attribute>"' in capsys.readouterr().err


def test_python_dash_m_crlf_is_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crlf", "run", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "--timeout-keep-alive" in done.stdout
    assert "--max-requests-per-connection" in done.stdout
