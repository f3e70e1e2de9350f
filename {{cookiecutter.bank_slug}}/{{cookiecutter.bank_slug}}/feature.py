"""The one shape of a feature: what it brings and where the app installs it.

Each package under features/ exports `feature = Feature(...)`; app.FEATURES lists the installed ones
and the factory calls `feature.install(app)` for each, in that order. Parts are named as modules
relative to the feature's package and imported only when installed (the admin views only when the
panel is on), so a feature never edits a list outside its own package:

* models:    modules whose tables the metadata (and Alembic) must see;
* chat:      modules with `register(router)` (WeChat text keywords, menu keys, events), in order;
* h5:        modules with a `bp` blueprint, mounted under the H5 parent (/h5/...);
* hall:      tiles of the H5 service hall (`HallTile`);
* admin:     modules with `add_views(admin)` (Flask-Admin), installed when ADMIN_PANEL_ENABLED;
* dashboard: modules with `panels(branch_code, days)` for the admin dashboard;
* cli:       "module:attribute" of click commands or groups ("group module:attribute" adds it to a group the
             app already has, e.g. "wechat .cli:push_menu");
* blueprints: "module:attribute" of top-level blueprints (signed APIs are CSRF-exempt: `csrf_exempt`);
* setup:     "module:function" called with the app (e.g. registering a ledger outbox writer);
* seed_demo: "module:function" called by `flask seed-demo`, in feature order.
"""

from dataclasses import dataclass, field
from importlib import import_module

from flask import Flask


@dataclass(frozen=True)
class HallTile:
    """A service on the H5 hall (/h5/): its page, title and summary (lazy texts) and a one-character icon."""

    path: str  # below /h5, e.g. "bind" -> /h5/bind
    title: str
    summary: str
    icon: str

    @property
    def url(self) -> str:
        return f"/h5/{self.path}"


@dataclass(frozen=True)
class Feature:
    name: str
    package: str  # the feature's package (__name__ of its __init__)
    models: tuple[str, ...] = ()
    chat: tuple[str, ...] = ()
    h5: tuple[str, ...] = ()
    hall: tuple[HallTile, ...] = ()
    admin: tuple[str, ...] = ()
    dashboard: tuple[str, ...] = ()
    cli: tuple[str, ...] = ()
    blueprints: tuple[str, ...] = ()
    csrf_exempt: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    seed_demo: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def module(self, name: str):
        return import_module(name, self.package)

    def attribute(self, reference: str):
        module_name, _, attribute = reference.partition(":")
        return getattr(self.module(module_name), attribute)

    def import_models(self) -> None:
        for name in self.models:
            self.module(name)


def installed(app: Flask) -> tuple[Feature, ...]:
    """The features the app was built with, in install order."""
    return app.extensions["features"]


def install_all(app: Flask, features, *, router, h5_bp, csrf, commands: bool = True) -> None:
    """Install every feature's parts; the H5 parent and the router are passed in by the factory. Without
    `commands` (a web worker) the features' `flask` commands are neither imported nor added."""
    app.extensions["features"] = tuple(features)
    for feature in features:
        feature.import_models()
    for feature in features:
        for name in feature.chat:
            feature.module(name).register(router)
        for name in feature.h5:
            h5_bp.register_blueprint(feature.module(name).bp)
        for reference in feature.blueprints:
            blueprint = feature.attribute(reference)
            app.register_blueprint(blueprint)
            if reference in feature.csrf_exempt:
                csrf.exempt(blueprint)
        for reference in feature.cli if commands else ():
            group, _, reference = reference.rpartition(" ")
            (app.cli.commands[group] if group else app.cli).add_command(feature.attribute(reference))
        for reference in feature.setup:
            feature.attribute(reference)(app)


def hall_tiles(app: Flask) -> list[HallTile]:
    return [tile for feature in installed(app) for tile in feature.hall]


def admin_view_modules(app: Flask):
    for feature in installed(app):
        for name in feature.admin:
            yield feature.module(name)


def dashboard_modules(app: Flask):
    for feature in installed(app):
        for name in feature.dashboard:
            yield feature.module(name)


def demo_seeders(app: Flask):
    for feature in installed(app):
        for reference in feature.seed_demo:
            yield feature.attribute(reference)
