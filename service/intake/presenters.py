"""A batch → what its uploader sees: the check's findings and the import's progress."""

from typing import Any

from service.intake.kinds import KINDS
from service.intake.schemas import (
    ISSUES_SHOWN,
    BatchStatus,
    IntakeBatchRead,
    IntakeIssue,
    IntakeKind,
)
from service.models import IntakeBatch
from service.postings.schemas import OrgBrief


def batch_read(batch: IntakeBatch) -> IntakeBatchRead:
    headers = KINDS[IntakeKind(batch.kind)].sheet.headers
    plans = [r["plan"] for r in batch.rows]

    def issue(item: dict[str, Any]) -> IntakeIssue:
        col = item.get("col")
        return IntakeIssue(
            row=item["row"],
            column=headers[col] if col is not None else None,
            message=item["message"],
        )

    status = BatchStatus(batch.status)
    return IntakeBatchRead(
        id=batch.id,
        kind=IntakeKind(batch.kind),
        org=OrgBrief.of(batch.org),
        filename=batch.filename,
        status=status,
        status_label=status.label,
        total_rows=len(plans),
        valid_rows=plans.count("create") + plans.count("update"),
        error_rows=plans.count("error"),
        example_rows=plans.count("example"),
        will_create=plans.count("create"),
        will_update=plans.count("update"),
        issues=[issue(i) for i in batch.issues[:ISSUES_SHOWN]],
        issues_total=len(batch.issues),
        notices=list(batch.notices),
        only_valid=batch.only_valid,
        processed=batch.cursor,
        created=batch.created_count,
        updated=batch.updated_count,
        skipped=batch.skipped_count,
        failures=[issue(i) for i in batch.failures],
        created_at=batch.created_at,
    )
