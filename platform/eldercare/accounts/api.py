"""/api/v1/auth, /api/v1/me and /api/v1/users."""
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, login_required, paginate_query, roles_required
from ..extensions import db
from ..transactions import as_stored
from . import services
from .limits import forget_account_failures, login_failures, signup_attempts
from .models import User
from .schemas import (
    LoginSchema,
    PasswordResetDoneSchema,
    PasswordResetSchema,
    SessionsEndedSchema,
    SignupSchema,
    TokenSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Log in, sign up and manage accounts")


@blp.route("/auth/tokens", methods=["POST"])
@document_errors(401, 429)
@login_failures
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
def create_token(data):
    """Log in with a username and password; get a bearer token."""
    user = services.authenticate(data["username"], data["password"])
    if user is None:
        services.login_failed(data["username"], via="api")
        abort(401, message="Wrong username or password.")
    forget_account_failures()
    token, row = services.issue_token(user)
    return {"token": token, "expires_at": row.expires_at, "user": user}


@blp.route("/auth/tokens", methods=["DELETE"])
@document_errors(422)
@login_required
@blp.response(204)
def revoke_token():
    """Log out: revoke the bearer token this request came with; later calls with it answer 401."""
    services.revoke_current_token(current_user._get_current_object())


@blp.route("/auth/signup", methods=["POST"])
@document_errors(409, 429)
@signup_attempts
@blp.arguments(SignupSchema)
@blp.response(201, UserSchema)
def signup(data):
    """Register a family member or a provider administrator. A taken username answers 409 "cannot be used", the
    same for any case of it; sign-ups that make an account or find a name taken are counted per address, and past
    the limit (10 an hour by default) answer 429 with Retry-After."""
    user = services.signup(**data)
    return as_stored(user)


@blp.route("/me", methods=["GET"])
@login_required
@blp.response(200, UserSchema)
def me():
    """The caller, with role and scope."""
    return current_user


@blp.route("/users", methods=["GET"])
@roles_required("admin")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def list_users(query, pagination_parameters):
    """Every account, optionally of one role."""
    stmt = select(User).order_by(User.id)
    if "role" in query:
        stmt = stmt.where(User.role == query["role"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/users", methods=["POST"])
@document_errors(409)
@roles_required("admin")
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(data):
    """Create an account of any role with its scope."""
    user = services.create_user(**data, actor=current_user)
    return as_stored(user)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, message="No such user.")
    return user


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@document_errors(409)
@roles_required("admin")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(data, user_id):
    """Change an account: its role and scope, name, phone, or `active`; deactivating it or changing its role or
    scope also revokes its tokens and ends its sessions. 409 for the last active admin."""
    return as_stored(services.update_user(_user_or_404(user_id), data, actor=current_user))


@blp.route("/users/<int:user_id>/password-reset", methods=["POST"])
@roles_required("admin")
@blp.arguments(PasswordResetSchema)
@blp.response(200, PasswordResetDoneSchema)
def reset_password(data, user_id):
    """Set a new password for an account, or get a random one shown once; every token and session of the account
    ends."""
    user = _user_or_404(user_id)
    generated, revoked = services.reset_password(user, actor=current_user, password=data["password"])
    answer = {"tokens_revoked": revoked}
    if generated is not None:
        answer["password"] = generated
    return answer


@blp.route("/users/<int:user_id>/sessions", methods=["DELETE"])
@roles_required("admin")
@blp.response(200, SessionsEndedSchema)
def end_sessions(user_id):
    """Revoke every token of the account and end its page sessions (a lost phone, a leaked password)."""
    revoked = services.end_sessions(_user_or_404(user_id), actor=current_user, reason="ended by an admin")
    return {"tokens_revoked": revoked}
