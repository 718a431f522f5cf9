"""TLS client contexts: verification on by default, a custom CA, client certificates.

``verify`` is ``True`` (the system trust store), ``False`` (no verification, for tests),
a path to a CA file or directory, or a ready :class:`ssl.SSLContext`. ``cert`` is a PEM path
holding both certificate and key, or ``(certfile, keyfile)`` / ``(certfile, keyfile, password)``.
ALPN offers only ``http/1.1``: crlf speaks nothing else.
"""

from __future__ import annotations

import os
import ssl

__all__ = ["CertTypes", "VerifyTypes", "make_ssl_context"]

VerifyTypes = bool | str | os.PathLike[str] | ssl.SSLContext
CertTypes = str | tuple[str, str] | tuple[str, str, str] | None


def make_ssl_context(verify: VerifyTypes = True, cert: CertTypes = None) -> ssl.SSLContext:
    """Build the client context for ``verify`` and ``cert`` (see the module docstring).

    Raises:
        FileNotFoundError: when a CA or certificate path does not exist.
        ssl.SSLError: when a certificate or key cannot be loaded.
    """
    if isinstance(verify, ssl.SSLContext):
        ctx = verify
    elif verify is False:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif verify is True:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    else:
        path = os.fspath(verify)
        if os.path.isdir(path):
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, capath=path)
        elif os.path.isfile(path):
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=path)
        else:
            raise FileNotFoundError(f"CA bundle {path!r} does not exist")
    if not isinstance(verify, ssl.SSLContext):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 9325 §3.1.1
        ctx.set_alpn_protocols(["http/1.1"])
    if cert is not None:
        if isinstance(cert, str):
            ctx.load_cert_chain(cert)
        elif len(cert) == 2:
            ctx.load_cert_chain(cert[0], cert[1])
        else:
            ctx.load_cert_chain(cert[0], cert[1], cert[2])
    return ctx
