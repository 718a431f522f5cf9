"""The WebSocket options of ``crlf run`` and :class:`crlf.server.Config` (uvicorn's names)."""

from __future__ import annotations

import pytest

from crlf.cli import build_parser
from crlf.cli.run import config_from_args
from crlf.server import Config


def _config(*options: str) -> Config:
    parser, _ = build_parser()
    config: Config = config_from_args(parser.parse_args(["run", "m:app", *options]))
    return config


def test_defaults_are_uvicorns() -> None:
    # uvicorn: --ws-max-size 16777216, --ws-ping-interval 20, --ws-ping-timeout 20,
    # --ws-per-message-deflate True.
    for config in (Config(), _config()):
        assert config.ws_max_size == 16 * 1024 * 1024
        assert (config.ws_ping_interval, config.ws_ping_timeout) == (20.0, 20.0)
        assert config.ws_per_message_deflate is True


def test_run_options() -> None:
    config = _config(
        "--ws-max-size",
        "1000",
        "--ws-ping-interval",
        "2.5",
        "--ws-ping-timeout",
        "0",
        "--ws-per-message-deflate",
        "false",
    )
    assert config.ws_max_size == 1000
    assert config.ws_ping_interval == 2.5
    assert config.ws_ping_timeout is None  # 0 turns the timeout off
    assert config.ws_per_message_deflate is False
    assert _config("--ws-per-message-deflate").ws_per_message_deflate is True
    assert _config("--ws-per-message-deflate", "1").ws_per_message_deflate is True


def test_bad_values() -> None:
    with pytest.raises(ValueError, match="ws_max_size"):
        Config(ws_max_size=0)
    with pytest.raises(ValueError, match="ws_ping_interval"):
        Config(ws_ping_interval=-1.0)
    with pytest.raises(ValueError, match="ws_ping_timeout"):
        Config(ws_ping_timeout=0.0)
    parser, _ = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "m:app", "--ws-per-message-deflate", "maybe"])
