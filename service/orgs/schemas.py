from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from service.kit.identity import clean_name
from service.kit.inputs import Line, Text
from service.models.enums import OrgKind

SELF_SERVICE_KINDS = (
    OrgKind.enterprise,
    OrgKind.university,
    OrgKind.institute,
    OrgKind.broker_agency,
)


class OrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=2, max_length=100, description="机构全称")
    kind: OrgKind
    region: Line = Field(default="", max_length=100)
    description: Text = Field(default="", max_length=1000)

    @field_validator("name", mode="before")
    @classmethod
    def _clean_name(cls, value: object) -> object:
        """NFKC with invisible and bidi-control characters removed, before the length check."""
        return clean_name(value) if isinstance(value, str) else value


class OrgFilter(BaseModel):
    kind: OrgKind | None = None
    q: Line | None = Field(default=None, max_length=50)


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: OrgKind
    region: str
    description: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return self.kind.label
