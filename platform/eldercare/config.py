"""Settings from the environment, with safe defaults for a developer's machine."""
import json
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'yiyang.sqlite3'}"
    # Heroku-style URLs name no driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# The key a developer's machine signs session cookies with. It is in the repository, so anyone can forge a
# cookie signed with it: production refuses to start with it (check_secret_key).
DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"  # nosec B105
# 32 characters: e.g. `python -c "import secrets; print(secrets.token_hex(32))"` gives 64.
MIN_SECRET_KEY_LENGTH = 32


class Config:
    ELDERCARE_ENV = os.environ.get("ELDERCARE_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Payments (payments/gateway.py): Stripe when STRIPE_SECRET_KEY is set, else offline (paid at the door and
    # recorded). The webhook (POST /api/v1/payments/stripe/webhook) is served only with STRIPE_WEBHOOK_SECRET.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # How the co-pay may be paid online: Alipay and WeChat Pay where the Stripe account offers them; "card"
    # where it does not (comma-separated Stripe payment_method_types).
    STRIPE_PAYMENT_METHOD_TYPES = tuple(
        t.strip() for t in os.environ.get("STRIPE_PAYMENT_METHOD_TYPES", "alipay,wechat_pay").split(",") if t.strip())

    # Where the login-failure counts live (accounts/limits.py). memory:// is per process: under more than one
    # worker each keeps its own count, so production needs a shared store, e.g. redis://127.0.0.1:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True  # X-RateLimit-* and, on a 429, Retry-After
    # Failed logins (limits strings, e.g. "5 per 15 minutes"). Per address, across accounts: generous, since many
    # people can share one address behind a NAT. Per account (the username tried, existing or not), from any
    # address: the lock that stops a botnet guessing one password.
    LOGIN_ADDRESS_FAILURE_LIMIT = os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20 per minute")
    LOGIN_ACCOUNT_FAILURE_LIMIT = os.environ.get("LOGIN_ACCOUNT_FAILURE_LIMIT", "5 per 15 minutes")
    # Sign-ups per address that made an account or found a username taken (accounts/limits.py): a family signs up
    # once; a script listing usernames or making accounts needs many.
    SIGNUP_ADDRESS_LIMIT = os.environ.get("SIGNUP_ADDRESS_LIMIT", "10 per hour")
    # How many proxies in front of the app set X-Forwarded-For. 0: the header is ignored (anyone can send it, so
    # trusting it would let a client pick its own address for the login counts); 1 behind one nginx, and so on.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # ID numbers and phones are stored encrypted (sealed.py): FIELD_KEY encrypts them (32 random bytes as 64 hex
    # digits), LOOKUP_KEY keys the hashes that find them (at least 32 characters). Production refuses to start
    # without both; elsewhere fixed development keys, which protect nothing, stand in. Keep them out of the
    # repository, the database and its backups, and never change them without re-sealing (FIELD_KEY) or
    # re-hashing (LOOKUP_KEY) every row.
    FIELD_KEY = os.environ.get("FIELD_KEY", "")
    LOOKUP_KEY = os.environ.get("LOOKUP_KEY", "")

    API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", "12"))

    # The audit log's MAC key (audit/chain.py): a random secret kept out of the repository and the database;
    # unset, one is derived from SECRET_KEY. Set it in production and keep it: a changed key (or a changed
    # SECRET_KEY when it is unset) makes every earlier event fail its check. The daily exported heads of its hash
    # chain are appended to AUDIT_HEAD_FILE (default: audit-heads.txt in the instance folder): copy it somewhere the
    # database's administrators cannot write. AUDIT_CHAIN=0 writes rows without their MAC: only for bench_booking's
    # comparison.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    AUDIT_HEAD_FILE = os.environ.get("AUDIT_HEAD_FILE", "")
    AUDIT_CHAIN = os.environ.get("AUDIT_CHAIN", "1") != "0"

    # Minutes an offered provider has to accept, by category code; e.g. DISPATCH_ACCEPT_MINUTES='{"meal": 15}'.
    DISPATCH_ACCEPT_MINUTES = {"emergency": 2, "default": 30} | json.loads(
        os.environ.get("DISPATCH_ACCEPT_MINUTES", "{}"))
    # How often the scheduler process looks for offers nobody answered.
    OFFER_SWEEP_SECONDS = int(os.environ.get("OFFER_SWEEP_SECONDS", "15"))
    # Care plans book each visit this many hours ahead.
    PLAN_AHEAD_HOURS = int(os.environ.get("PLAN_AHEAD_HOURS", "48"))

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    # Absolute, so the catalogues are found whatever the working directory (Flask-Babel would resolve a
    # relative path against the package folder).
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")
    LANGUAGES = ("zh", "en")

    # Request bodies (jsonbody.limit_body_size): 1 MiB for JSON and forms; uploads up to the 5 MB documents
    # (providers.services.MAX_DOCUMENT_BYTES) with room for the multipart framing and the form's other fields.
    JSON_MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    FORCE_HTTPS = os.environ.get("ELDERCARE_ENV") == "production"

    # flask-smorest: the OpenAPI document and its docs page, assets served locally.
    API_TITLE = "Yiyang API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    # No validator badge: Swagger UI would fetch it from validator.swagger.io, which the docs page must not
    # call (offline networks, and the CSP allows images from 'self' only).
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    # Endpoints that need a token say so with security: [{"bearerAuth": []}] (apibase.login_required and
    # roles_required).
    API_SPEC_OPTIONS = {"components": {"securitySchemes": {"bearerAuth": {
        "type": "http", "scheme": "bearer",
        "description": "A token from POST /api/v1/auth/tokens, sent as Authorization: Bearer <token>."}}}}

    COMMIT_GUARD = False  # the test suite's check that each request commits once (TestConfig)


def check_secret_key(config) -> None:
    """Refuse to run production with the development key or a short one: whoever knows or guesses the key can
    sign a session cookie for any account, the admin's too."""
    if config.get("ELDERCARE_ENV") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY must be set to a random secret of at least {MIN_SECRET_KEY_LENGTH} characters when "
            "ELDERCARE_ENV=production (it signs the session cookies); e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))').")


class TestConfig(Config):
    TESTING = True
    ELDERCARE_ENV = "test"
    SECRET_KEY = "test-secret"  # nosec B105
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # The suite's login tests count to these, whatever the developer's environment says.
    LOGIN_ADDRESS_FAILURE_LIMIT = "20 per minute"
    LOGIN_ACCOUNT_FAILURE_LIMIT = "5 per 15 minutes"
    SIGNUP_ADDRESS_LIMIT = "10 per hour"
    TRUSTED_PROXIES = 0
    FORCE_HTTPS = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") and _database_url() or "sqlite://"
    # Every request in the suite proves it commits at most once (transactions.install_commit_guard).
    COMMIT_GUARD = True
    # Payments are offline in the suite unless a test switches Stripe on.
    STRIPE_SECRET_KEY = ""  # nosec B105 - empty: no key
    STRIPE_WEBHOOK_SECRET = ""  # nosec B105 - empty: no secret
    # The development keys seal ID numbers and phones in the suite (sealed.py), whatever the environment says.
    FIELD_KEY = ""  # nosec B105 - empty: the development key
    LOOKUP_KEY = ""  # nosec B105 - empty: the development key
