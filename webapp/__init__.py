"""XueJi web application factory."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

import engine
import handlers
import jobs
from models import clock, crypto
from webapp import (
    access,
    access_log,
    admin,
    admissions,
    attachments,
    auth,
    cases,
    class_sizes,
    cli,
    db,
    documents,
    families,
    federation,
    feed,
    filters,
    holidays,
    inbox,
    job_pages,
    lifecycle,
    menu,
    parameters,
    permissions,
    portal,
    prints,
    processes,
    production,
    quality,
    regional,
    registration,
    reports,
    school_changes,
    school_classes,
    seals,
    security,
    signin,
    staged_intake,
    students,
    term_registration,
    terms,
    transfer_settings,
    transfers,
    workbench,
)
from webapp.config import Config, instance_secret_key

csrf = CSRFProtect()

# The only files of node_modules the pages load; anything else is 404.
ASSET_ROOTS = {"bootstrap": "bootstrap/dist", "bpmn-js": "bpmn-js/dist", "echarts": "echarts/dist"}


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(Config)
    app.config.update(overrides or {})
    app.config["SECRET_KEY_FROM_ENV"] = app.config["SECRET_KEY"]
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(app.config["INSTANCE_DIR"])
    clock.set_display_zone(app.config["TIMEZONE"])
    federation.configure(app)  # before the sessions: a province deployed on its own
    engine.use_handlers(handlers.REGISTRY)  # the engine does not import handlers: it is handed their registry
    db.init_app(app)
    if app.config["PRODUCTION"]:
        with app.app_context():
            production.refuse_demo_secrets(app, db.db())
    crypto.install(_data_key_provider(app.config))
    jobs.init_app(app)
    csrf.init_app(app)
    access.login_manager.init_app(app)
    app.before_request(access.auditors_change_nothing)
    for blueprint in (
        auth.bp,
        inbox.bp,
        students.bp,
        cases.bp,
        processes.bp,
        lifecycle.bp,
        transfers.bp,
        transfer_settings.bp,
        registration.bp,
        admissions.bp,
        terms.bp,
        school_classes.bp,
        class_sizes.bp,
        holidays.bp,
        workbench.bp,
        job_pages.bp,
        admin.bp,
        reports.bp,
        feed.bp,
        feed.api,
        prints.bp,
        parameters.bp,
        permissions.bp,
        school_changes.bp,
        quality.bp,
        federation.bp,
        documents.bp,
        regional.bp,
        term_registration.bp,
        staged_intake.bp,
        families.bp,
        portal.bp,
        seals.bp,
    ):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    access_log.init_app(app)
    signin.init_app(app)
    filters.init_app(app)
    _register_assets(app)
    _register_errors(app)
    security.init_app(app)
    app.jinja_env.globals["demo_mode"] = app.config["DEMO_MODE"]
    app.jinja_env.globals["nav_menu"] = menu.menu_for
    app.jinja_env.globals["case_attachments"] = attachments.of_case
    app.jinja_env.globals["problem_parties"] = registration.problem_parties
    return app


def _data_key_provider(config: Config | Any) -> crypto.KeyProvider:
    """The configured key service ("module:factory"), else the environment's keys or the key file."""
    provider: crypto.KeyProvider
    if config["DATA_KEY_PROVIDER"]:
        module, _, name = config["DATA_KEY_PROVIDER"].partition(":")
        provider = getattr(importlib.import_module(module), name)()
    elif config["DATA_KEY_FILE"] and not os.environ.get("XUEJI_DATA_KEYS"):
        provider = crypto.FileKeyProvider(Path(config["DATA_KEY_FILE"]))
    else:
        provider = crypto.default_provider(os.environ)
    return provider if config["ENCRYPTION"] else crypto.PlainProvider(provider)


def _register_assets(app: Flask) -> None:
    @app.get("/vendor/<package>/<path:filename>")
    def vendor(package: str, filename: str) -> ResponseReturnValue:
        if package not in ASSET_ROOTS:
            raise NotFound()
        return send_from_directory(app.config["ASSETS_DIR"] / ASSET_ROOTS[package], filename, max_age=86400)


def _register_errors(app: Flask) -> None:
    for code, title in ((403, "无权访问"), (404, "页面不存在"), (400, "请求无效")):

        def handler(_err: Exception, code: int = code, title: str = title) -> ResponseReturnValue:
            return render_template("error.html", code=code, title=title), code

        app.register_error_handler(code, handler)

    def conflict(_err: IntegrityError) -> ResponseReturnValue:
        """Two people saving the same thing at once: the database's unique constraint refused the second, which
        loses nothing and is told so (rather than a 500)."""
        db.db().rollback()
        return render_template("error.html", code=409, title="数据刚被他人修改"), 409

    app.register_error_handler(IntegrityError, conflict)
