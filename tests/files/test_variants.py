"""Variant selection on disk: language files and precompressed siblings, from a listing."""

from __future__ import annotations

import pytest

from crlf.files._variants import encoded_siblings, language_variants, negotiable

NAMES = frozenset(
    {
        "index.html",
        "index.fr.html",
        "index.es.html",
        "index.pt-BR.html",
        "index.fr.html.gz",
        "index.html.br",
        "index.html.gz",
        "about.fr.html",
        "about.de.html",
        "lib.js",
        "lib.es.js",
        "page.html",
        "page.x.html",  # one letter: not a language tag
        "page.toolongtag.html",
        "a.b.html",
        "a.b.fr.html",
    }
)

LANGUAGE_CASES: list[tuple[str, str, dict[str, str]]] = [
    (
        "index.html",
        "en",
        {
            "fr": "index.fr.html",
            "es": "index.es.html",
            "pt-br": "index.pt-BR.html",
            "en": "index.html",
        },
    ),
    ("about.html", "en", {"fr": "about.fr.html", "de": "about.de.html"}),  # no plain file
    ("page.html", "en", {"en": "page.html"}),
    ("page.html", "de", {"de": "page.html"}),
    ("a.b.html", "en", {"fr": "a.b.fr.html", "en": "a.b.html"}),
    ("lib.js", "en", {"en": "lib.js"}),  # not HTML: no negotiation (lib.es.js is an ES module)
    ("missing.html", "en", {}),
    ("missing.js", "en", {}),
    ("index.fr.html", "en", {"en": "index.fr.html"}),  # asking for a variant by name: itself
]


@pytest.mark.parametrize(("name", "default", "expected"), LANGUAGE_CASES)
def test_language_variants(name: str, default: str, expected: dict[str, str]) -> None:
    assert language_variants(NAMES, name, default) == expected


def test_explicit_default_language_file_wins_over_plain() -> None:
    names = {"index.html", "index.en.html", "index.fr.html"}
    assert language_variants(names, "index.html", "en") == {
        "en": "index.en.html",
        "fr": "index.fr.html",
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", {"br": "index.html.br", "gzip": "index.html.gz"}),
        ("index.fr.html", {"gzip": "index.fr.html.gz"}),
        ("index.es.html", {}),
        ("nothing", {}),
    ],
)
def test_encoded_siblings(name: str, expected: dict[str, str]) -> None:
    result = encoded_siblings(NAMES, name)
    assert result == expected
    assert list(result) == list(expected)  # br before gzip: the server's preference


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.html", True),
        ("A.HTM", True),
        ("x.xhtml", True),
        ("a.css", False),
        (".html", False),
        ("html", False),
    ],
)
def test_negotiable(name: str, expected: bool) -> None:
    assert negotiable(name) is expected
