import marshmallow as ma
from marshmallow import validate

from ..apibase import RowId
from .models import ROLES, SELF_SIGNUP_ROLES


class LoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String()
    role = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    scope_region_id = ma.fields.Integer(allow_none=True)
    provider_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    created_at = ma.fields.DateTime()


class TokenSchema(ma.Schema):
    token = ma.fields.String()
    expires_at = ma.fields.DateTime()
    user = ma.fields.Nested(UserSchema)


class SignupSchema(ma.Schema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    role = ma.fields.String(required=True, validate=validate.OneOf(SELF_SIGNUP_ROLES))
    phone = ma.fields.String(required=True)


class UserCreateSchema(ma.Schema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = ma.fields.String(load_default=None, validate=validate.Length(max=80))
    phone = ma.fields.String(load_default=None)
    scope_region_id = RowId(load_default=None)
    provider_id = RowId(load_default=None)
    service_point_ids = ma.fields.List(RowId(), load_default=None, validate=validate.Length(max=200), metadata={
        "description": "point_staff: the service points of its provider it serves at (omitted: all of them)"})


class UserQuerySchema(ma.Schema):
    role = ma.fields.String(validate=validate.OneOf(ROLES))


class UserUpdateSchema(ma.Schema):
    active = ma.fields.Boolean(metadata={"description": "false also revokes the account's tokens and ends its "
                                                        "sessions"})
    display_name = ma.fields.String(allow_none=True, validate=validate.Length(max=80))
    phone = ma.fields.String(allow_none=True)
    role = ma.fields.String(validate=validate.OneOf(ROLES), metadata={
        "description": "A new role: checked against the scope (bureau and operator need scope_region_id, provider "
                       "staff provider_id; a scope the new role does not take is dropped); a change of role or "
                       "scope ends the account's tokens and sessions. The last active admin cannot be demoted "
                       "(409)."})
    scope_region_id = RowId(allow_none=True)
    provider_id = RowId(allow_none=True)


class PasswordResetSchema(ma.Schema):
    password = ma.fields.String(load_default=None, load_only=True, validate=validate.Length(max=256), metadata={
        "description": "The new password (at least 8 characters, not a common one, not the username); omitted: "
                       "a random one is made and returned once"})


class PasswordResetDoneSchema(ma.Schema):
    password = ma.fields.String(metadata={"description": "The generated password, shown this once; absent when "
                                                         "the request gave one"})
    tokens_revoked = ma.fields.Integer(metadata={"description": "How many live tokens were revoked"})


class SessionsEndedSchema(ma.Schema):
    tokens_revoked = ma.fields.Integer(metadata={"description": "How many live tokens were revoked"})
