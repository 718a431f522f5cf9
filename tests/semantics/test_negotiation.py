"""Content negotiation (RFC 9110 §12): Accept-Language and Accept-Encoding."""

from __future__ import annotations

import pytest

from crlf.semantics.negotiation import (
    negotiate_encoding,
    negotiate_language,
    negotiate_media_type,
)

SEED = ["en", "fr", "es"]  # the demo's variants: the seed negotiates Accept-Language: fr


@pytest.mark.parametrize(
    ("header", "available", "chosen"),
    [
        (None, SEED, "en"),
        (b"", SEED, "en"),
        (b"fr", SEED, "fr"),  # the seed's own request
        (b"FR", SEED, "fr"),  # case-insensitive
        (b"es, fr;q=0.5", SEED, "es"),
        (b"fr;q=0.5, es", SEED, "es"),  # weights, not order
        (b"de", SEED, "en"),  # nothing acceptable: the default, never 406
        (b"de", ["fr", "es"], "en"),  # the default even when it is not a variant
        # fr-CA takes fr (RFC 4647 lookup truncation).
        (b"fr-CA", SEED, "fr"),
        (b"fr-CA, en;q=0.8", SEED, "fr"),
        (b"zh-Hant-TW", ["en", "zh"], "zh"),
        (b"zh-Hant-TW", ["en", "zh-hant"], "zh-hant"),
        # fr takes fr-CA when that is the only French variant (RFC 4647 basic filtering).
        (b"fr", ["en", "fr-CA"], "fr-CA"),
        (b"fr, en;q=0.1", ["en", "fr-CA"], "fr-CA"),
        # A more specific exact match wins over the truncation.
        (b"fr-CA", ["fr", "fr-CA"], "fr-CA"),
        (b"fr-ca", ["fr-CA", "fr"], "fr-CA"),
        (b"en-GB, en;q=0.9", ["en-US", "en-GB"], "en-GB"),
        # Prefix matching needs a subtag boundary: "fr" does not take "fra".
        (b"fr", ["en", "fra"], "en"),
        (b"fra", ["en", "fr"], "en"),
        # q=0 excludes, and the most specific range decides.
        (b"fr;q=0", SEED, "en"),
        (b"fr-CA;q=0, fr", ["fr-CA", "en"], "en"),
        (b"fr, fr-CA;q=0", ["fr-CA", "fr"], "fr"),
        (b"*;q=0, es", SEED, "es"),
        (b"es;q=0, *", SEED, "en"),
        (b"*", SEED, "en"),  # ties go to the server's order
        (b"*, en;q=0", SEED, "fr"),
        (b"*;q=0.1, fr;q=0.5", SEED, "fr"),
        # Equal weights: the range listed first wins, then the closer match.
        (b"es, fr", SEED, "es"),
        (b"fr, es", SEED, "fr"),
        (b"fr-CA, fr", ["fr-CA", "fr"], "fr-CA"),
        (b"fr, fr-CA", ["fr-CA", "fr"], "fr"),
        # A browser's typical header.
        (b"fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", SEED, "fr"),
        (b"es-419,es;q=0.9", SEED, "es"),
        # Invalid weights drop the element.
        (b"fr;q=2, es;q=0.5", SEED, "es"),
        (b"garbage here", SEED, "en"),
    ],
)
def test_negotiate_language(header: bytes | None, available: list[str], chosen: str) -> None:
    assert negotiate_language(header, available, "en") == chosen


def test_negotiate_language_without_variants() -> None:
    assert negotiate_language(b"fr", [], "en") == "en"


@pytest.mark.parametrize(
    ("header", "available", "chosen"),
    [
        # No field: identity when there is one, else the server's first choice.
        (None, ["br", "gzip", "identity"], "identity"),
        (None, ["gzip"], "gzip"),
        (None, [], None),
        # An empty field means identity only.
        (b"", ["br", "gzip", "identity"], "identity"),
        (b"", ["gzip"], None),
        (b"gzip", ["br", "gzip", "identity"], "gzip"),
        (b"gzip, deflate, br", ["br", "gzip", "identity"], "br"),  # ties: server order
        (b"gzip, deflate, br", ["gzip", "br", "identity"], "gzip"),
        (b"br;q=0.5, gzip", ["br", "gzip", "identity"], "gzip"),
        (b"BR", ["br", "identity"], "br"),
        (b"x-gzip", ["br", "gzip", "identity"], "gzip"),  # §8.4.1.3 alias
        (b"deflate", ["br", "gzip", "identity"], "identity"),  # identity is acceptable
        (b"deflate", ["br", "gzip"], None),
        # identity ranks below anything listed, even with a low weight.
        (b"gzip;q=0.1", ["identity", "gzip"], "gzip"),
        (b"identity;q=0.5, gzip;q=0.1", ["identity", "gzip"], "identity"),
        # identity;q=0 and *;q=0 rule identity out.
        (b"identity;q=0", ["br", "identity"], None),
        (b"*;q=0", ["br", "gzip", "identity"], None),
        (b"*;q=0, identity", ["br", "identity"], "identity"),
        (b"*;q=0, gzip", ["br", "gzip", "identity"], "gzip"),
        (b"gzip;q=0, *", ["gzip", "br", "identity"], "br"),
        (b"*", ["br", "gzip", "identity"], "br"),
        (b"*;q=0.5, identity", ["br", "identity"], "identity"),
        (b"gzip;q=0.5, gzip;q=0", ["gzip", "identity"], "gzip"),  # the first entry wins
        (b"gzip;q=5", ["gzip", "identity"], "identity"),  # an invalid weight drops the entry
    ],
)
def test_negotiate_encoding(header: bytes | None, available: list[str], chosen: str | None) -> None:
    assert negotiate_encoding(header, available) == chosen


HTML, JSON, TEXT = "text/html; charset=utf-8", "application/json", "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("header", "available", "chosen"),
    [
        (None, [HTML, JSON], HTML),
        (None, [], None),
        (b"", [HTML, JSON], None),  # an empty Accept accepts nothing listed
        (b"*/*", [HTML, JSON], HTML),
        (b"application/json", [HTML, JSON], JSON),
        (b"Application/JSON", [HTML, JSON], JSON),
        (b"text/*", [JSON, HTML], HTML),
        (b"image/png", [HTML, JSON], None),
        # A browser: HTML first.
        (
            b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            [JSON, HTML],
            HTML,
        ),
        # curl and API clients.
        (b"application/json, */*;q=0.1", [HTML, JSON], JSON),
        # The most specific range decides (§12.5.1's example).
        (b"text/*;q=0.3, text/html;q=0.7, */*;q=0.5", [HTML, TEXT], HTML),
        (b"text/*;q=0.3, text/html;q=0.7, */*;q=0.5", [TEXT, JSON], JSON),
        (b"text/*, text/html;q=0", [HTML, TEXT], TEXT),
        (b"*/*, application/json;q=0", [JSON], None),
        # Parameters must be among the offered type's.
        (b"text/html;charset=UTF-8", [HTML], HTML),
        (b"text/html;charset=latin-1", [HTML], None),
        (b"text/html;charset=utf-8;q=0, text/html", [HTML], None),
        (
            b"text/html;level=1;q=0.2, text/html;q=0.9",
            ["text/html;level=1", JSON],
            "text/html;level=1",
        ),
        # Invalid ranges are dropped.
        (b"*/html, json", [HTML, JSON], None),
        (b"text/html;q=2, application/json", [HTML, JSON], JSON),
        # An offered type that does not parse is skipped.
        (b"*/*", ["not a type", JSON], JSON),
    ],
)
def test_negotiate_media_type(
    header: bytes | None, available: list[str], chosen: str | None
) -> None:
    assert negotiate_media_type(header, available) == chosen
