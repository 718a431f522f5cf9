"""``crlf ws URL``: called through ``crlf.cli.main`` against a real crlf server."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest

from crlf.cli import main

from .test_server import echo

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    Serve = Callable[..., AbstractContextManager[tuple[str, int]]]


def test_messages_and_replies(serve: Serve, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(echo) as (host, port):
        code = main(
            ["ws", f"ws://{host}:{port}/", "-m", "hello", "-m", "h\u20acllo", "-v", "-H", "X-A: 1"]
        )
    out, err = capsys.readouterr()
    assert code == 0
    assert out == "hello\nh\u20acllo\n"
    assert "sec-websocket-accept:" in err
    assert "closed: 1000" in err


def test_interactive_lines_from_stdin(
    serve: Serve, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("one\ntwo\n"))
    with serve(echo) as (host, port):
        code = main(["ws", f"ws://{host}:{port}/", "--no-compression"])
    assert code == 0
    assert capsys.readouterr().out == "one\ntwo\n"


def test_server_close_code_sets_the_exit_status(
    serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(echo) as (host, port):
        code = main(["ws", f"ws://{host}:{port}/", "-m", "close-please", "-v"])
    assert code == 1
    assert "closed: 4001 asked" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["ws", "http://x/"], ["ws", "ws://127.0.0.1:1/", "-m", "x"]])
def test_connection_failures(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("crlf ws: ")


def test_bad_header_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ws", "ws://127.0.0.1:1/", "-H", "nocolon"]) == 1
    assert "Name: value" in capsys.readouterr().err


def test_binary_display() -> None:
    from crlf.cli.ws import _show

    assert _show(b"\x00\x01") == "<2 bytes> 00 01"
    assert _show(bytes(40)).endswith(" ...")
