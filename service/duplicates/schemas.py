"""Near-duplicate warnings and the admin's 重复 marks, in and out."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.kit.inputs import Id, Text

Kind = Literal["need", "capability"]


class DuplicateCandidate(BaseModel):
    """A visible posting of the same kind that may repeat the one checked."""

    kind: Kind
    id: int
    title: str
    status: str
    status_label: str
    similarity: float = Field(description="重复相似度 0–1（≥ threshold 即提示）")
    same_org: bool = Field(description="是否为本单位发布（仅对发布方本人有意义）")
    linked: bool = Field(description="管理员已将这两条标记为重复")
    differing: list[str] = Field(description="两条数值不同之处，如「废品率 4% / 8%」")
    path: str = Field(description="网页链接，如 /needs/12")


class DuplicateLinkRead(BaseModel):
    id: int
    kind: Kind
    posting_id: int
    posting_title: str | None
    duplicate_of_id: int
    duplicate_of_title: str | None
    status: str
    status_label: str
    similarity: float | None
    reason: str
    marked_by_id: int | None
    created_at: datetime
    actions: list[str]


class DuplicateCheck(BaseModel):
    """What a poster is warned of after save or submit, and what the admin review shows."""

    kind: Kind
    posting_id: int
    threshold: float
    candidates: list[DuplicateCandidate]
    links: list[DuplicateLinkRead]


class DuplicateMark(BaseModel):
    """标记为重复: `posting_id` repeats `duplicate_of_id` (the one kept)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind
    posting_id: Id = Field(description="重复的一条")
    duplicate_of_id: Id = Field(description="保留的一条（被重复的原始发布）")
    reason: Text = Field(min_length=2, max_length=1000, description="理由，必填")
