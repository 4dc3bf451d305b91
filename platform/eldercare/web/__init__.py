"""Server-rendered pages. Each domain keeps its own page views; this registers them."""


def register_pages(app):
    from ..accounts.views import bp as accounts_pages
    from .home import bp as home_pages

    app.register_blueprint(accounts_pages)
    app.register_blueprint(home_pages)
