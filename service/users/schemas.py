import re

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from service.kit.identity import clean_name
from service.kit.inputs import PHONE_PATTERN, Email, Id, Line, Password, Text
from service.models.enums import AccountStatus, Role
from service.orgs.schemas import OrgCreate, OrgRead

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,50}$"


def strong_password(value: str) -> str:
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        raise ValueError("密码至少 8 位，且须同时包含字母和数字")
    return value


def _clean(value: object) -> object:
    """NFKC, invisible characters removed, before any length or pattern check."""
    return clean_name(value) if isinstance(value, str) else value


class _UserFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(
        pattern=USERNAME_PATTERN,
        description="3–50 位字母、数字或 _ . -（不区分大小写，全角字符按半角处理）",
    )
    password: Password
    display_name: Line = Field(min_length=1, max_length=50)
    email: Email = ""
    phone: Line = Field(default="", max_length=30)

    _names = field_validator("username", "display_name", mode="before")(_clean)
    _password = field_validator("password")(strong_password)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and not re.match(PHONE_PATTERN, value):
            raise ValueError("电话格式不正确")
        return value


class RegisterIn(_UserFields):
    """Self-service sign-up: creates the organisation; the role follows its kind."""

    org: OrgCreate


class UserCreate(_UserFields):
    """An admin creates any account (experts, brokers, more admins) inside an existing org."""

    role: Role
    org_id: Id | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool


class UserFilter(BaseModel):
    role: Role | None = None
    status: AccountStatus | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    email: str
    phone: str
    is_active: bool
    status: AccountStatus = Field(description="active 正常；pending 待管理员审核；refused 未通过")
    must_change_password: bool = Field(description="管理员重置密码后为 true：须先修改密码")
    org: OrgRead | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str:
        return self.role.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return self.status.label


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="访问令牌有效秒数（默认 15 分钟）")
    refresh_token: str = Field(description="用 POST /auth/refresh 换取新令牌（默认 12 小时）")
    refresh_expires_in: int
    user: UserRead = Field(description="status 为 pending 或 must_change_password 为 true 时受限")


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Line = Field(min_length=1, max_length=2000)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Line = Field(min_length=1, max_length=128)
    new_password: Password

    _password = field_validator("new_password")(strong_password)


class PasswordResetOut(BaseModel):
    temporary_password: str = Field(description="临时密码，只显示这一次；用户登录后须修改")
    user: UserRead


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=1, max_length=500, description="不通过的理由（告知申请人）")
