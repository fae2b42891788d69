"""Subscriptions in and out."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from service.kit.inputs import Line, Version
from service.models.enums import DigestFrequency, SubscriptionKind, SubscriptionSide

MAX_FIELDS = 5
MAX_KEYWORDS = 5

FieldCode = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Keyword = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class SubscriptionCreate(BaseModel):
    """A new subscription: fields and keywords (kind `search`) or 为我推荐 (`recommended`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: SubscriptionKind = SubscriptionKind.search
    side: SubscriptionSide | None = Field(
        default=None,
        description="关注哪一方：need 技术需求 / capability 科技成果；"
        "不填时按角色（科研人员关注需求，企业关注成果）",
    )
    name: Line | None = Field(
        default=None, max_length=60, description="订阅名称；不填时由领域和关键词生成"
    )
    fields: list[FieldCode] = Field(
        default_factory=list,
        max_length=MAX_FIELDS,
        description="所属领域代码（任一即可）；不填表示不限领域",
    )
    keywords: list[Keyword] = Field(
        default_factory=list,
        max_length=MAX_KEYWORDS,
        description="关键词：每个都须出现在标题、描述或关键词中（不区分大小写和全半角）",
    )
    frequency: DigestFrequency = Field(
        default=DigestFrequency.weekly, description="邮件摘要频率：daily 每日 / weekly 每周"
    )

    @model_validator(mode="after")
    def _something_to_follow(self) -> "SubscriptionCreate":
        if self.kind == SubscriptionKind.search and not self.fields and not self.keywords:
            raise ValueError("请至少选择一个领域或填写一个关键词")
        if self.kind == SubscriptionKind.recommended and (self.fields or self.keywords):
            raise ValueError("「为我推荐」订阅不需要领域和关键词")
        return self


class SubscriptionUpdate(BaseModel):
    """Change the digest frequency or the name (`version` from the last read)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version
    name: Line | None = Field(default=None, min_length=1, max_length=60)
    frequency: DigestFrequency | None = None


class SubscriptionRead(BaseModel):
    id: int
    kind: SubscriptionKind
    kind_label: str
    side: SubscriptionSide
    side_label: str
    name: str
    fields: list[str]
    field_names: list[str]
    keywords: list[str]
    frequency: DigestFrequency
    frequency_label: str
    status: str
    status_label: str
    hits: int = Field(description="至今命中的发布条目数")
    created_at: datetime
    version: int
    actions: list[str] = Field(description="本人现在可执行的操作：pause、resume")


class UnsubscribeResult(BaseModel):
    """What the signed link did: which subscriptions are off now."""

    message: str
    subscriptions: list[str] = Field(description="已退订的订阅名称")
