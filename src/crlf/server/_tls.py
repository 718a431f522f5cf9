"""The TLS server context for ``--ssl-certfile`` / ``--ssl-keyfile``.

The context is :func:`ssl.create_default_context` for client authentication purposes (TLS 1.2
minimum, the stdlib's secure cipher defaults), advertising only ``http/1.1`` in ALPN (RFC 7301):
crlf speaks no HTTP/2, and a client must not be invited to.
"""

from __future__ import annotations

import ssl

__all__ = ["make_ssl_context"]


def make_ssl_context(
    certfile: str, keyfile: str | None = None, password: str | None = None
) -> ssl.SSLContext:
    """Build the server-side TLS context.

    Args:
        certfile: PEM certificate chain.
        keyfile: PEM private key (None when it is inside ``certfile``).
        password: the key's password, if it is encrypted.

    Returns:
        A context ready for ``loop.create_server(ssl=...)``.

    Raises:
        OSError: a file is missing; ssl.SSLError: the key does not match the certificate.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile, password)
    context.set_alpn_protocols(["http/1.1"])
    return context
