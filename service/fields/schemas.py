from pydantic import BaseModel, ConfigDict, Field

from service.kit.inputs import Line


class FieldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    sort_order: int
    active: bool


class FieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,39}$", description="英文代码，小写字母/数字/下划线"
    )
    name: Line = Field(min_length=2, max_length=40)
    sort_order: int = Field(default=0, ge=0, le=100000)


class FieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line | None = Field(default=None, min_length=2, max_length=40)
    sort_order: int | None = Field(default=None, ge=0, le=100000)
    active: bool | None = None
