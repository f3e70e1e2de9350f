"""Links to H5 pages from outside a page (chat replies, notices, menus): the public address WeChat users
reach (PUBLIC_BASE_URL) joined to the route's path, built from the endpoint's name like url_for. Works in a
chat handler's worker thread too, which has the app but no request."""

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path
