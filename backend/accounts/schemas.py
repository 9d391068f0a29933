from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from backend.core.fields import PHONE, Id
from backend.core.schemas import ArgsSchema, OutSchema, QueryArgsSchema
from backend.places.schemas import PlaceRefSchema


class WeChatLoginArgs(ArgsSchema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class DevLoginArgs(ArgsSchema):
    openid = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    display_name = ma.fields.String(validate=validate.Length(max=50))


class PasswordLoginArgs(ArgsSchema):
    username = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    password = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class BindArgs(ArgsSchema):
    binding_code = ma.fields.String(required=True, validate=validate.Length(min=4, max=32))


class MeSchema(OutSchema):
    """What a user sees of themselves."""

    id = ma.fields.Integer()
    role = ma.fields.String()
    display_name = ma.fields.String()
    username = ma.fields.String(allow_none=True)
    scope = ma.fields.Nested(PlaceRefSchema, attribute="scope_place", allow_none=True)
    cells = ma.fields.List(ma.fields.Nested(PlaceRefSchema))
    # the user's own phone, in full (only they see it here), how it was given
    # (wechat | typed) and when they consented to its use
    phone = ma.fields.String(allow_none=True)
    phone_source = ma.fields.String(allow_none=True)
    phone_consent_at = ma.fields.DateTime(allow_none=True)
    language = ma.fields.String(allow_none=True, metadata={
        "enum": ["zh", "en", None],
        "description": "The language I read (zh | en); null: follow Accept-Language"})


class TokenSchema(OutSchema):
    token = ma.fields.String(required=True)
    token_type = ma.fields.String(dump_default="Bearer")
    expires_at = ma.fields.DateTime(required=True)
    user = ma.fields.Nested(MeSchema, required=True)


class WorkerArgs(ArgsSchema):
    display_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = ma.fields.String(validate=validate.Regexp(r"^\+?[0-9 -]{5,20}$"))
    cell_ids = ma.fields.List(Id(strict=True), required=True,
                              validate=validate.Length(min=1, max=100))


class WorkerCellsArgs(ArgsSchema):
    cell_ids = ma.fields.List(Id(strict=True), required=True,
                              validate=validate.Length(min=1, max=100))


class WorkerSchema(OutSchema):
    """A grid worker as staff see them."""

    id = ma.fields.Integer()
    display_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    bound = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    cells = ma.fields.List(ma.fields.Nested(PlaceRefSchema))


class BindingCodeSchema(OutSchema):
    worker_id = ma.fields.Integer()
    binding_code = ma.fields.String()
    expires_at = ma.fields.DateTime()


class StaffArgs(ArgsSchema):
    username = ma.fields.String(required=True, validate=[
        validate.Length(min=3, max=50), validate.Regexp(r"^[A-Za-z0-9_.-]+$")])
    password = ma.fields.String(required=True, validate=validate.Length(min=10, max=200))
    display_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=50))
    role = ma.fields.String(load_default="staff", validate=validate.OneOf(["staff", "admin"]))
    scope_place_id = Id(strict=True, allow_none=True)


class StaffSchema(OutSchema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.String()
    is_active = ma.fields.Boolean()
    scope = ma.fields.Nested(PlaceRefSchema, attribute="scope_place", allow_none=True)


class AccountSchema(OutSchema):
    """An account as the admin who switched it sees it."""

    id = ma.fields.Integer()
    role = ma.fields.String()
    username = ma.fields.String(allow_none=True)
    display_name = ma.fields.String()
    is_active = ma.fields.Boolean()


class PasswordResetArgs(ArgsSchema):
    password = ma.fields.String(validate=validate.Length(min=10, max=200), metadata={
        "description": "The new (temporary) password; omitted: one is generated"})


class PasswordResetSchema(OutSchema):
    id = ma.fields.Integer()
    username = ma.fields.String(allow_none=True)
    # only when the server generated it: shown this once, stored hashed
    generated_password = ma.fields.String(allow_none=True)


class WorkerListArgs(QueryArgsSchema):
    place_id = Id()


# --- the resident's own profile (accounts/profile.py) ----------------------------------

class DisplayNameArgs(ArgsSchema):
    # 1-20 characters after trimming; checked again in the operation (spaces only is empty)
    display_name = ma.fields.String(required=True, validate=validate.Length(max=200))


class LanguageArgs(ArgsSchema):
    language = ma.fields.String(required=True, allow_none=True,
                                validate=validate.OneOf(["zh", "en"]), metadata={
                                    "description": "zh or en; null: follow Accept-Language"})


class PhoneArgs(ArgsSchema):
    """Either ``code`` (WeChat's getPhoneNumber button) or ``phone`` (typed), never both;
    ``consent`` true and the ``consent_version`` of the text the user read."""

    code = ma.fields.String(validate=validate.Length(min=1, max=128))
    phone = ma.fields.String(validate=PHONE)
    consent = ma.fields.Boolean(required=True)
    consent_version = ma.fields.String(required=True, validate=validate.Length(min=1, max=20))


class PhoneConsentSchema(OutSchema):
    version = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    text = ma.fields.String(required=True)
