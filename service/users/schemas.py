import re

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from service.kit.inputs import Id, Line, Password
from service.models.enums import Role
from service.orgs.schemas import OrgCreate, OrgRead
from service.postings.schemas import EMAIL_PATTERN, PHONE_PATTERN

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{3,50}$"


class _UserFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(pattern=USERNAME_PATTERN, description="3–50 位字母、数字或 _ . -")
    password: Password
    display_name: Line = Field(min_length=1, max_length=50)
    email: Line = Field(default="", max_length=200)
    phone: Line = Field(default="", max_length=30)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not re.match(EMAIL_PATTERN, value):
            raise ValueError("邮箱格式不正确")
        return value

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


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    email: str
    phone: str
    is_active: bool
    org: OrgRead | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str:
        return self.role.label


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserRead
