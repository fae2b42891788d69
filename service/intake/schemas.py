from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from service.postings.schemas import OrgBrief

ISSUES_SHOWN = 1000  # the rest are in the marked xlsx


class IntakeKind(StrEnum):
    needs = "needs"
    capabilities = "capabilities"


class BatchStatus(StrEnum):
    checked = "checked"
    importing = "importing"
    imported = "imported"

    @property
    def label(self) -> str:
        return {"checked": "已检查，未导入", "importing": "导入中", "imported": "已导入"}[
            self.value
        ]


class IntakeIssue(BaseModel):
    row: int = Field(description="文件中的行号（表头为第 1 行）")
    column: str | None = Field(description="列名；整行的问题为 null")
    message: str


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    only_valid: bool = Field(
        default=False, description="只导入通过检查的行；为 false 时须全部通过检查"
    )


class IntakeBatchRead(BaseModel):
    """An upload: what the check found (a dry run), then how far the import has got."""

    id: int
    kind: IntakeKind
    org: OrgBrief
    filename: str
    status: BatchStatus
    status_label: str
    total_rows: int = Field(description="数据行数（不含表头、空行）")
    valid_rows: int = Field(description="通过检查、可导入的行")
    error_rows: int
    example_rows: int = Field(description="示例行（导入时跳过）")
    will_create: int
    will_update: int
    issues: list[IntakeIssue] = Field(description=f"检查发现的问题（最多列出 {ISSUES_SHOWN} 条）")
    issues_total: int
    notices: list[str]
    only_valid: bool | None
    processed: int = Field(description="已处理的行数（导入进度）")
    created: int
    updated: int
    skipped: int = Field(description="跳过的行：示例行，以及只导入有效行时有错误的行")
    failures: list[IntakeIssue] = Field(description="导入时才发现问题而未导入的行")
    created_at: datetime
