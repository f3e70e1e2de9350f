"""403, 404 and 405 for the whole app, answered once per blueprint family: a URL under a family's prefix (the H5
pages, the admin panel) gets that family's page in the visitor's language; anything else Flask's default."""

from collections.abc import Callable

from flask import Flask, current_app, request

FAMILIES = "error_families"


def install(app: Flask) -> None:
    app.extensions[FAMILIES] = []
    for code in (403, 404, 405):
        app.register_error_handler(code, _answer)


def family(app: Flask, prefix: str, handler: Callable) -> None:
    """`handler(error)` answers the errors of every URL under `prefix`."""
    app.extensions[FAMILIES].append((prefix, handler))


def _answer(error):
    for prefix, handler in current_app.extensions[FAMILIES]:
        if request.path.startswith(prefix):
            return handler(error)
    return error
