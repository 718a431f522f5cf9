"""Media types from crlf's private table."""

from __future__ import annotations

import pytest

from crlf.semantics.mime import DEFAULT_TYPE, MEDIA_TYPES, guess_type, is_compressible


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("/site/index.fr.html", "text/html; charset=utf-8"),  # the last extension counts
        ("INDEX.HTM", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("mod.mjs", "text/javascript; charset=utf-8"),
        ("data.json", "application/json"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("photo.JPG", "image/jpeg"),
        ("a.png", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("font.woff2", "font/woff2"),
        ("doc.pdf", "application/pdf"),
        ("style.css.gz", "application/gzip"),
        ("README", DEFAULT_TYPE),
        (".htaccess", DEFAULT_TYPE),  # a dotfile has no extension
        ("dir.d/file", DEFAULT_TYPE),
        ("archive.unknownext", DEFAULT_TYPE),
        ("trailing.", DEFAULT_TYPE),
        ("", DEFAULT_TYPE),
    ],
)
def test_guess_type(path: str, content_type: str) -> None:
    assert guess_type(path) == content_type


def test_guess_type_with_a_custom_table() -> None:
    table = {**MEDIA_TYPES, "php": "text/x-php; charset=utf-8"}
    assert guess_type("x.php", table) == "text/x-php; charset=utf-8"
    assert guess_type("x.php") == DEFAULT_TYPE  # the default table is unchanged


def test_table_is_read_only_and_lowercase() -> None:
    with pytest.raises(TypeError):
        MEDIA_TYPES["x"] = "y"  # type: ignore[index]
    assert all(ext == ext.lower() and not ext.startswith(".") for ext in MEDIA_TYPES)
    # Text types carry a charset; nothing else but XML-based ones does.
    for content_type in MEDIA_TYPES.values():
        if content_type.startswith("text/"):
            assert content_type.endswith("; charset=utf-8")


@pytest.mark.parametrize(
    ("content_type", "compressible"),
    [
        ("text/html; charset=utf-8", True),
        (b"text/css", True),
        ("TEXT/PLAIN", True),
        ("application/json", True),
        ("application/vnd.api+json", True),
        ("image/svg+xml; charset=utf-8", True),
        ("application/wasm", True),
        ("font/ttf", True),
        ("image/png", False),
        ("image/jpeg", False),
        ("font/woff2", False),
        ("video/mp4", False),
        ("application/gzip", False),
        ("application/zip", False),
        ("application/octet-stream", False),
        ("", False),
    ],
)
def test_is_compressible(content_type: str | bytes, compressible: bool) -> None:
    assert is_compressible(content_type) is compressible
