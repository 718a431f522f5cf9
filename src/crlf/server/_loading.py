"""Finding the application: ``module:attribute`` strings, factories and the interface.

``crlf run pkg.mod:app`` imports ``pkg.mod`` (after putting ``--app-dir`` first on ``sys.path``)
and reads the dotted attribute ``app``; with ``--factory`` the attribute is called with no
arguments and its result is the application. The interface (ASGI 3 or WSGI) is taken from
``--interface`` or guessed: a coroutine function (or an object whose ``__call__`` is one) is
ASGI 3; a plain callable of two parameters (``environ, start_response``, PEP 3333) is WSGI.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any

__all__ = ["AppLoadError", "detect_interface", "import_from_string", "load_app"]


class AppLoadError(Exception):
    """Raised when the application string cannot be imported or does not name a callable."""


def import_from_string(spec: str) -> Any:
    """Import ``"module:attr.sub"`` and return the attribute.

    Args:
        spec: ``module:attribute``; the attribute may be dotted.

    Returns:
        The object named.

    Raises:
        AppLoadError: with a message fit to show the user.
    """
    module_name, sep, attrs = spec.partition(":")
    if not sep or not module_name or not attrs:
        raise AppLoadError(f'application must be given as "<module>:<attribute>", not {spec!r}')
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name and not module_name.startswith(f"{exc.name}."):
            raise  # an import *inside* the module failed: show the real traceback
        raise AppLoadError(f"could not import module {module_name!r}") from None
    obj: Any = module
    for attr in attrs.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise AppLoadError(f"module {module_name!r} has no attribute {attrs!r}") from None
    return obj


def load_app(spec: Any, *, app_dir: str = ".", factory: bool = False) -> Any:
    """Resolve an application given as an object or as a ``module:attr`` string.

    Args:
        spec: the application itself, or its import string.
        app_dir: a directory to put first on ``sys.path`` before importing.
        factory: call the named object (no arguments) to get the application.

    Returns:
        The application callable.

    Raises:
        AppLoadError: the string is malformed, names nothing, or not a callable.
    """
    if isinstance(spec, str):
        if app_dir and app_dir not in sys.path:
            sys.path.insert(0, app_dir)
        app = import_from_string(spec)
    else:
        app = spec
    if factory:
        if not callable(app):
            raise AppLoadError("--factory was given but the application is not callable")
        app = app()
    if not callable(app):
        raise AppLoadError(f"the application {spec!r} is not callable")
    return app


def detect_interface(app: Any) -> str:
    """Guess ``"asgi3"`` or ``"wsgi"`` for an application object.

    Args:
        app: the application.

    Returns:
        ``"asgi3"`` for coroutine functions and objects whose ``__call__`` is one (Starlette,
        FastAPI); ``"wsgi"`` for other callables taking exactly two positional parameters
        (Flask, Django's WSGIHandler); ``"asgi3"`` when unsure, as uvicorn does.
    """
    if inspect.iscoroutinefunction(app):
        return "asgi3"
    call = getattr(app, "__call__", None)  # noqa: B004 - we need the method itself, not callable()
    if call is not None and inspect.iscoroutinefunction(call):
        return "asgi3"
    try:
        signature = inspect.signature(app)
    except (TypeError, ValueError):
        return "asgi3"
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return "wsgi" if len(positional) == 2 else "asgi3"
