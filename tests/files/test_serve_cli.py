"""``crlf serve``: the command line, in process for the refusals and as a real process to serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from crlf.cli import main
from tests.files.serving import run_cli

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_missing_directory_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_malformed_redirects_file_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "_redirects").write_text("/a /b 299\n")
    assert main(["serve", str(tmp_path)]) == 2
    assert "_redirects line 1" in capsys.readouterr().err


def test_bad_port_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(tmp_path), "--port", "70000"]) == 2
    assert "port" in capsys.readouterr().err


def test_negative_revalidate_after_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", str(tmp_path), "--revalidate-after", "-1"]) == 2
    assert "revalidate_after" in capsys.readouterr().err


def test_serve_with_options(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("a" * 2000)
    (tmp_path / ".well-known").mkdir()
    (tmp_path / ".well-known" / "x.txt").write_text("x")
    args = ["serve", str(tmp_path), "--listing", "--dotfiles", "--gzip-min-size", "100"]
    args += ["--cache-control", "public, max-age=60", "--no-access-log"]
    args += ["--revalidate-after", "0"]
    with run_cli(*args) as url, httpx.Client(base_url=url) as c:
        listing = c.get("/sub/")
        assert listing.status_code == 200
        assert 'href="./a.txt"' in listing.text
        r = c.get("/sub/a.txt")
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "public, max-age=60"
        assert r.text == "a" * 2000
        assert c.get("/.well-known/x.txt").status_code == 200
        # --revalidate-after 0: a change shows on the very next request.
        (tmp_path / "sub" / "a.txt").write_text("b" * 2000)
        assert c.get("/sub/a.txt").text == "b" * 2000


def test_serve_defaults(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>x</title>")
    (tmp_path / ".secret").write_text("s")
    with run_cli("serve", str(tmp_path)) as url, httpx.Client(base_url=url) as c:
        r = c.get("/")
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-cache"
        assert "content-encoding" not in r.headers  # no gzip unless asked
        assert c.get("/.secret").status_code == 404
        assert c.get("/nothing/").status_code == 404
