"""``crlf demo``: the seed's HTTP session, replayed by a bundled site.

Open the printed URL in a browser, or follow the seed with curl::

    curl -i http://127.0.0.1:8000/                                   # English
    curl -i -H 'Accept-Language: fr' http://127.0.0.1:8000/          # French
    curl -i --data 'name=Juan%20Garcia&request=Envieme%20uno%20de%20sus%20catalogos' \\
         http://127.0.0.1:8000/contact_form.php                      # the form POST
    curl -i http://127.0.0.1:8000/moved                              # 301 with Location
    curl -i http://127.0.0.1:8000/no-such-page                       # the custom 404
    curl -s -o /dev/null http://127.0.0.1:8000/ http://127.0.0.1:8000/session  # one connection,
                                                     # two requests: /session shows both heads

Keep-Alive defaults to the seed's Apache values (timeout=15, max=100 counted down).
"""

from __future__ import annotations

import argparse
from typing import Any

from crlf.cli.serve import add_server_options, run_app

__all__ = ["add_parser", "main"]


def add_parser(subparsers: Any) -> None:
    """Register ``demo`` on the ``crlf`` command's subparsers.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers()`` returned.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="serve the bundled site that replays the seed's HTTP session",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_server_options(parser, access_log=True)  # the demo shows the session as it goes
    # The seed's session: "Keep-Alive: timeout=15, max=98" is Apache's 15 s and 100 requests.
    parser.set_defaults(func=main, timeout_keep_alive=15.0, max_requests_per_connection=100)


def main(args: argparse.Namespace) -> int:
    """Run ``crlf demo``.

    Args:
        args: the parsed command line.

    Returns:
        The process exit code.
    """
    from crlf.files.demo import DemoApp

    app = DemoApp(keep_alive=(args.timeout_keep_alive, args.max_requests_per_connection))
    return run_app(app, args, banner="crlf demo: the seed's HTTP session on {url}")
