from datetime import datetime

from ninja import Field, Schema


class TokenLoginIn(Schema):
    phone: str = Field(..., description="Mainland mobile number", examples=["13800000001"])
    password: str = Field(..., examples=["your-password"])
    name: str = Field("app", description="A name to recognise the token by", examples=["物业App"])
    estate_ids: list[int] | None = Field(None, description="Estates the token may act in; default: all of yours")
    days: int | None = Field(None, description="Days until it expires (default 90)", examples=[90])


class TokenIn(Schema):
    name: str = Field(..., examples=["门禁对接"])
    estate_ids: list[int] = Field(..., examples=[[1]])
    days: int | None = Field(None, examples=[30])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    estate_ids: list[int]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret. Shown once; store it now.")


class EstateRef(Schema):
    id: int
    name: str
    company: str


class MyMembershipOut(Schema):
    estate: EstateRef
    role: str
    role_label: str


class MeOut(Schema):
    id: int
    phone: str
    name: str
    memberships: list[MyMembershipOut]


class MembershipIn(Schema):
    phone: str = Field(..., examples=["13900000009"])
    role: str = Field(..., examples=["customer_service"])
    name: str = Field("", description="Name for a user who has no account yet")


class MembershipOut(Schema):
    id: int
    user_id: int
    user_name: str
    phone: str
    role: str
    role_label: str
    created_at: datetime
    ended_at: datetime | None


class PasswordChangeIn(Schema):
    current_password: str = Field(..., examples=["old-password"])
    new_password: str = Field(..., description="At least 10 characters, letters and digits, not a common one.",
                              examples=["a-new-Passw0rd"])


class PasswordChangedOut(Schema):
    tokens_revoked: int = Field(..., description="Every API token of yours is revoked with the change, including "
                                                 "the one this request came with.")
