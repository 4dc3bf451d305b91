"""Counts of failed logins, per address and per account, shared by the login page and the API's token endpoint
(so switching between them gives an attacker no extra guesses) and kept in the limiter's store
(RATELIMIT_STORAGE_URI: Redis when more than one process serves, or each worker would keep its own count).

The address count stops one machine trying many accounts; it is generous, because a whole office or a mobile
carrier's NAT can share one address and a throttled address locks out everyone behind it. The account count
stops many machines trying one account. Only failures (401) count, and a locked account or address answers 429
with Retry-After before the password is checked; a right password clears its account's count only.

Sign-ups are counted per address in the same store (signup_attempts): each one that creates an account or is told
a username is taken. A sign-up must refuse a taken username, so every answer about a name tells whether it is in
use; what stops a list of a city's usernames being drawn up one name at a time, or a script filling the database
with accounts, is the count. Refusals for other reasons (a weak password, a missing phone) come before the name is
looked up, tell nothing about it, and are not counted.

Known limit: Flask-Limiter tests a count before the request and adds the failure after it, so requests already
in flight when the count fills up are still answered; at most one extra guess per concurrent request.
"""
import hashlib

from flask import current_app, request

from ..extensions import limiter
from ..jsonbody import loads

ADDRESS_SCOPE = "login-failures-address"
ACCOUNT_SCOPE = "login-failures-account"
SIGNUP_SCOPE = "signup-address"


def _login_failed(response) -> bool:
    return response.status_code == 401


def account_key(username) -> str:
    """The account counter's key for a username as tried: case-folded and stripped like the login itself
    (usernames are case-insensitive, and the page strips spaces), so "Wang" and "wang " are one account.

    Whether or not the account exists makes no difference, so the count tells nobody which usernames are real.
    Hashed, so the store holds no usernames and a key's length does not depend on what an attacker sends."""
    if not isinstance(username, str) or not username.strip():
        # No username: nothing to guess a password for (the page answers 400, the API 422). A fixed key rather
        # than an empty one, which the limiter would log as an error on every such request.
        username = ""
    normal = username.strip().casefold().encode("utf-8", "surrogatepass")
    return "account:" + hashlib.sha256(normal).hexdigest()


def _username_tried() -> str | None:
    """The username of this login, from the API's JSON body or the page's form."""
    if request.is_json:
        # The API's own safe parser, read from the same cached body: Flask's get_json would raise RecursionError
        # (a 500) on JSON nested 100,000 deep. A body it refuses answers 400 later, with nothing to count.
        try:
            body = loads(request.get_data(cache=True))
        except ValueError:
            return None
        return body.get("username") if isinstance(body, dict) else None
    return request.form.get("username")


def _account_of_request() -> str:
    return account_key(_username_tried())


_per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_ADDRESS_FAILURE_LIMIT"],
    scope=ADDRESS_SCOPE,
    methods=["POST"],
    deduct_when=_login_failed,
)
_per_account = limiter.shared_limit(
    lambda: current_app.config["LOGIN_ACCOUNT_FAILURE_LIMIT"],
    scope=ACCOUNT_SCOPE,
    key_func=_account_of_request,
    methods=["POST"],
    deduct_when=_login_failed,
)


def login_failures(view):
    """Both counts on a login view; the limiter checks them together, once, before the view runs."""
    return _per_address(_per_account(view))


def forget_account_failures() -> None:
    """After a right password: clear this account's count, so its owner's earlier typing mistakes do not lock them
    out later. The address count stays: others' failures from the same address are no less suspicious."""
    for counted in limiter.current_limits:
        if counted.request_args[-1] == ACCOUNT_SCOPE:
            limiter.limiter.clear(counted.limit, *counted.request_args)


def _signup_counted(response) -> bool:
    # 201: an account made; 409: a username found taken. Both are what an enumerating or spamming script gets.
    return response.status_code in (201, 409)


signup_attempts = limiter.shared_limit(
    lambda: current_app.config["SIGNUP_ADDRESS_LIMIT"],
    scope=SIGNUP_SCOPE,
    methods=["POST"],
    deduct_when=_signup_counted,
)
"""On every sign-up view (the API's, and a sign-up page's when there is one): one count per address shared by
all of them, checked before the view runs; over it, 429 with Retry-After."""
