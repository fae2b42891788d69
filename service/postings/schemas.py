"""Pieces shared by needs and capabilities: indicators, contact, keywords, money."""

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from service.kit.inputs import PHONE_PATTERN, Email, Line, Text
from service.kit.money import Wan

NUMBER = re.compile(r"^-?\d{1,12}(\.\d{1,12})?([eE][-+]?\d{1,3})?$")

TITLE = Annotated[Line, Field(min_length=4, max_length=100, description="标题，4–100 字")]
LONG_TEXT = Annotated[Text, Field(min_length=10, max_length=2000, description="10–2000 字")]

WanAmount = Wan  # ≥ 0; where the amount must be positive, PositiveWan (service/kit/money.py)


def _unique_keywords(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("关键词不能为空")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("关键词不能重复")
    return cleaned


Keywords = Annotated[
    list[Annotated[Line, Field(max_length=20)]],
    Field(min_length=1, max_length=5, description="1–5 个关键词，每个不超过 20 字"),
    AfterValidator(_unique_keywords),
]


class Indicator(BaseModel):
    """技术指标: e.g. 定位精度 ≤ 1 μm."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=30, description="指标名称，如 定位精度")
    comparator: Literal[">=", "<=", ">", "<", "="]
    value: Line = Field(max_length=30, description="数值，如 99.5 或 1e-6")
    unit: Line = Field(default="", max_length=20, description="单位，如 μm、%、Wh/kg")

    @field_validator("value")
    @classmethod
    def _numeric(cls, value: str) -> str:
        if not NUMBER.match(value):
            raise ValueError("指标数值须为数字，如 99.5、0.5 或 1e-6")
        return value


Indicators = Annotated[list[Indicator], Field(max_length=10, description="最多 10 项")]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=50)
    phone: str = Field(pattern=PHONE_PATTERN)
    email: Email = ""

    @classmethod
    def of(cls, posting: Any) -> "Contact":
        """A posting's contact columns."""
        return cls(
            name=posting.contact_name, phone=posting.contact_phone, email=posting.contact_email
        )


class OrgBrief(BaseModel):
    id: int
    name: str
    kind: str

    @classmethod
    def of(cls, org: Any) -> "OrgBrief":
        return cls(id=org.id, name=org.name, kind=org.kind)
