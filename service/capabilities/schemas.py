from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.kit.inputs import Id, Line, Text, Version
from service.models.enums import CapabilityStatus, IpType, Maturity, TechLevel, TransactionMode
from service.postings.schemas import TITLE, Contact, Indicators, Keywords, OrgBrief, WanAmount

DESCRIPTION = Annotated[
    Text, Field(min_length=20, max_length=5000, description="成果简介，20–5000 字")
]
PatentNumbers = Annotated[
    list[Annotated[Line, Field(min_length=5, max_length=40)]], Field(max_length=20)
]
TransactionModes = Annotated[list[TransactionMode], Field(max_length=7)]


class _PriceRange(BaseModel):
    price_min_wan: WanAmount | None = None
    price_max_wan: WanAmount | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "_PriceRange":
        low, high = self.price_min_wan, self.price_max_wan
        if low is not None and high is not None and low > high:
            raise ValueError("价格下限不能高于上限")
        return self


class CapabilityCreate(_PriceRange):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: TITLE
    description: DESCRIPTION
    field: Line = Field(max_length=40, description="所属领域代码")
    keywords: Keywords
    indicators: Indicators = []
    maturity: Maturity
    trl: int | None = Field(default=None, ge=1, le=9, description="技术就绪度 TRL 1–9")
    ip_type: IpType = IpType.none
    patent_numbers: PatentNumbers = []
    tech_level: TechLevel = TechLevel.domestic_advanced
    transaction_modes: TransactionModes = []
    team: Text = Field(default="", max_length=2000)
    contact: Contact


class CapabilityUpdate(_PriceRange):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: Version
    title: TITLE | None = None
    description: DESCRIPTION | None = None
    field: Line | None = Field(default=None, max_length=40)
    keywords: Keywords | None = None
    indicators: Indicators | None = None
    maturity: Maturity | None = None
    trl: int | None = Field(default=None, ge=1, le=9)
    ip_type: IpType | None = None
    patent_numbers: PatentNumbers | None = None
    tech_level: TechLevel | None = None
    transaction_modes: TransactionModes | None = None
    team: Text | None = Field(default=None, max_length=2000)
    contact: Contact | None = None


CapabilitySort = Literal["-published_at", "-created_at", "-updated_at", "-trl", "trl"]


class CapabilityConditions(BaseModel):
    """What the catalogue and the search narrow capabilities by, with AND."""

    field: Line | None = Field(default=None, max_length=40, description="所属领域代码")
    maturity: Maturity | None = None
    org_id: Id | None = None


class CapabilityFilter(CapabilityConditions):
    """The catalogue's query."""

    status: CapabilityStatus | None = None
    mine: bool = Field(default=False, description="只看本机构的成果（含草稿）")
    q: Line | None = Field(default=None, max_length=100)
    sort: CapabilitySort = "-published_at"


class PublicCapability(BaseModel):
    """What anyone may see of a published capability (the open data API shows exactly this)."""

    id: int
    title: str
    description: str
    field: str
    field_name: str
    keywords: list[str]
    indicators: list[dict[str, str]]
    maturity: Maturity
    maturity_label: str
    trl: int | None
    ip_type: IpType
    ip_type_label: str
    patent_numbers: list[str]
    tech_level: TechLevel
    tech_level_label: str
    transaction_modes: list[TransactionMode]
    transaction_mode_labels: list[str]
    price_min_wan: str | None
    price_max_wan: str | None
    team: str
    org: OrgBrief
    status: CapabilityStatus
    status_label: str
    published_at: datetime | None
    updated_at: datetime


class CapabilityRead(PublicCapability):
    contact: Contact | None = Field(description="仅成果方、技术经纪人和管理员可见")
    reject_reason: str | None
    created_at: datetime
    version: int
    is_owner: bool
    actions: list[str]
