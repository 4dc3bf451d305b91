"""Server-rendered pages. Each domain keeps its own page views; this registers them."""
from flask import request
from flask_babel import get_locale


def register_pages(app):
    from ..accounts.admin_pages import bp as account_admin_pages
    from ..accounts.views import bp as accounts_pages
    from ..audit.log_pages import bp as audit_log_pages
    from ..audit.views import bp as audit_pages
    from ..careplans.views import bp as care_plan_pages
    from ..catalog.views import bp as catalogue_pages
    from ..coverage.views import bp as coverage_pages
    from ..elders.views import bp as elder_pages
    from ..hardship.views import bp as hardship_pages
    from ..notifications.views import bp as notification_pages
    from ..orders.elder_pages import bp as booking_pages
    from ..orders.views import bp as order_pages
    from ..orders.work_pages import bp as work_pages
    from ..payments.views import bp as payment_pages
    from ..providers.views import bp as provider_pages
    from ..reports.views import bp as report_pages
    from ..servicepoints.views import bp as point_pages
    from ..settlement.views import bp as settlement_pages
    from ..vouchers.views import bp as voucher_pages
    from .context import remember_text_size, template_helpers
    from .home import bp as home_pages

    app.register_blueprint(accounts_pages)
    app.register_blueprint(home_pages)
    app.register_blueprint(elder_pages)
    app.register_blueprint(hardship_pages)
    app.register_blueprint(order_pages)
    app.register_blueprint(booking_pages)
    app.register_blueprint(work_pages)
    app.register_blueprint(payment_pages)
    app.register_blueprint(voucher_pages)
    app.register_blueprint(provider_pages)
    app.register_blueprint(notification_pages)
    app.register_blueprint(care_plan_pages)
    app.register_blueprint(settlement_pages)
    app.register_blueprint(audit_pages)
    app.register_blueprint(point_pages)
    app.register_blueprint(audit_log_pages)
    app.register_blueprint(coverage_pages)
    app.register_blueprint(report_pages)
    app.register_blueprint(account_admin_pages)
    app.register_blueprint(catalogue_pages)
    app.context_processor(template_helpers)
    app.before_request(_remember_language_choice)
    app.before_request(remember_text_size)


def _remember_language_choice():
    # The locale (and with it the session's remembered choice) is otherwise only worked out when something is
    # translated; a page that redirects straight away (/?lang=en when logged out) would drop the choice.
    if "lang" in request.args:
        get_locale()
