"""Yiyang (颐养): the home elderly-care service platform. `create_app()` builds the Flask app."""
import logging

from flask import Flask

from .config import INSTANCE_DIR, PROJECT_ROOT, Config, check_secret_key


def create_app(config: type | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_secret_key(app.config)  # before anything can serve a request or sign a cookie
    from . import sealed

    sealed.init_app(app)  # refuses production without the keys that seal ID numbers and phones
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address from X-Forwarded-For, counting that many proxies back from the end (the part our
        # own proxies appended); without trusted proxies the header is ignored, as a client can forge it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin, every command
    from .jsonbody import limit_body_size

    app.before_request(limit_body_size)  # the first hook, before any (CSRF, idempotency) reads the body

    register_extensions(app)
    register_blueprints(app)
    from .errors import register_errorhandlers

    register_errorhandlers(app)
    from .idempotency import register_idempotency

    register_idempotency(app)
    from .transactions import register_transactions

    # Last, so that its after_request runs first (Flask runs them in reverse): an answer it turns into an error
    # when the commit fails still gets the security headers and cookies the others add.
    register_transactions(app)
    from .cli import register_cli

    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  every table known to SQLAlchemy and Alembic
    from .accounts import auth  # noqa: F401  login loaders
    from .db import tune_connections
    from .extensions import api, babel, csrf, db, limiter, login_manager, migrate, talisman
    from .i18n import compile_translations_if_needed, select_locale

    db.init_app(app)
    with app.app_context():
        tune_connections(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "accounts_pages.login"
    csrf.init_app(app)
    limiter.init_app(app)
    compile_translations_if_needed()
    babel.init_app(app, locale_selector=select_locale)
    from flask_babel import get_locale, gettext

    app.jinja_env.globals["get_locale"] = get_locale
    login_manager.localize_callback = gettext  # Flask-Login's "Please log in" flash in the visitor's language
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["FORCE_HTTPS"],
        # Scripts only from our own files: the pages have no inline script, so an injected one does not run.
        content_security_policy=CSP,
    )
    api.init_app(app)  # its Swagger UI page is templates/swagger_ui.html: no inline script there either


CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
}


def register_blueprints(app: Flask) -> None:
    from .accounts.api import blp as accounts_api
    from .audit.api import blp as audit_api
    from .audit.log_api import blp as audit_log_api
    from .careplans.api import blp as care_plans_api
    from .catalog.api import blp as catalog_api
    from .coverage.api import blp as coverage_api
    from .elders.api import blp as elders_api
    from .extensions import api
    from .health import blp as health_api
    from .notifications.api import blp as notifications_api
    from .orders.api import blp as orders_api
    from .payments.api import blp as payments_api
    from .providers.api import blp as providers_api
    from .regions.api import blp as regions_api
    from .reports.api import blp as reports_api
    from .servicepoints.api import blp as servicepoints_api
    from .settlement.api import blp as settlements_api
    from .vouchers.api import blp as vouchers_api
    from .web import register_pages

    for blp in (accounts_api, regions_api, catalog_api, elders_api, orders_api, providers_api, vouchers_api,
                notifications_api, care_plans_api, payments_api, settlements_api, audit_api, audit_log_api,
                servicepoints_api, coverage_api, reports_api, health_api):
        api.register_blueprint(blp)
    register_pages(app)
