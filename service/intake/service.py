"""Excel/CSV intake: who may import for whom, the dry-run check, and the import in steps.

An upload is checked first and kept as a batch (nothing else is written). The import then
runs in steps of STEP rows, each step one transaction that stores its rows *and* moves the
batch's cursor: a resumable job whose state is always exact (rows[:cursor] are done, the
rest are not), with progress the caller sees between steps. Each row goes through the same
service functions as the web form, so it is validated, audited and born a draft the same way.
"""

from typing import IO, Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.fields import service as fields
from service.intake import files, repository, workbook
from service.intake.cells import Parser, lookup
from service.intake.columns import EXAMPLE_PREFIX, REF_MAX, column_of, to_payload
from service.intake.kinds import Kind, kind_of
from service.intake.schemas import BatchStatus
from service.kit.db import refresh_statistics
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    JiebangError,
    NotFound,
    found,
    zh_messages,
)
from service.models import IntakeBatch, Organization, User
from service.models.enums import Role

STEP = 250  # rows per import step: one request, one transaction, a few seconds
FORMULA = "单元格含公式：导入不计算公式，请改为直接填写数值"
TOO_LONG = f"内容超过 {files.MAX_CELL_CHARS} 字"

Issue = tuple[int | None, str]  # (column index or None for the row, zh message)


def may_import(user: User, kind: Kind) -> None:
    """Admins import for any organisation; enterprise users (needs) and researchers
    (capabilities) for their own; every other role is refused."""
    if user.role not in (Role.admin, kind.staff_role):
        raise Forbidden(
            f"只有管理员和{kind.staff_role.label}可以批量导入{kind.noun}",
            "Your role may not import this kind",
            code="wrong_role",
        )


def target_org(session: Session, user: User, kind: Kind, org_id: int | None) -> Organization:
    may_import(user, kind)
    if user.role != Role.admin:
        if user.org_id is None:
            raise Forbidden("账号未归属任何单位，不能导入", "No organisation", code="no_org")
        if org_id is not None and org_id != user.org_id:
            raise Forbidden("只能为本单位导入", "Own organisation only", code="not_own_org")
        org_id = user.org_id
    if org_id is None:
        raise BadRequest("请选择代为导入的单位", "org_id is required", code="org_required")
    org = found(repository.org(session, org_id), ("单位不存在", "Organisation not found"))
    if user.role == Role.admin and org.kind not in kind.org_kinds:
        raise BadRequest(
            f"「{org.name}」不是可以发布{kind.noun}的单位类型",
            "Wrong kind of organisation",
            code="wrong_org_kind",
        )
    return org


def template(session: Session, user: User, kind_name: str) -> tuple[bytes, str]:
    """The blank xlsx to fill, and its file name."""
    kind = kind_of(kind_name)
    may_import(user, kind)
    content = workbook.template(kind.sheet, _field_names(session))
    return content, f"{kind.sheet.title}导入模板.xlsx"


def check(
    session: Session,
    user: User,
    kind_name: str,
    org_id: int | None,
    filename: str,
    upload: IO[bytes],
) -> IntakeBatch:
    """The dry run: every row read and validated as the import would, nothing stored but
    the batch itself."""
    kind = kind_of(kind_name)
    org = target_org(session, user, kind, org_id)
    content = upload.read(files.MAX_BYTES + 1)  # the cap holds before anything is parsed
    table = files.read(content, filename, kind.sheet)
    parsers = _parsers(session, kind)
    refs = [cells[0] for _, cells in table.rows if cells[0]]
    existing = repository.by_refs(session, kind.model, org.id, refs)
    first_row: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    issues: list[dict[str, Any]] = []
    for number, cells in table.rows:
        found = _file_issues(table, number, len(cells))
        plan, posting_id, more = _plan(kind, cells[0], number, first_row, existing)
        found += more
        if plan != "example":
            flagged = {col for col, _ in found}  # a formula's text is no value to judge
            found += [i for i in _form(kind, parsers, cells)[1] if i[0] not in flagged]
        if found:
            plan = "error" if plan != "example" else plan
        issues += [{"row": number, "col": col, "message": msg} for col, msg in found]
        rows.append({"n": number, "cells": cells, "plan": plan, "id": posting_id})
    batch = IntakeBatch(
        kind=kind.sheet.kind,
        org_id=org.id,
        user_id=user.id,
        filename=filename[:200] or "upload",
        status=BatchStatus.checked,
        rows=rows,
        issues=issues,
        notices=table.notices,
    )
    return repository.add(session, batch)


def get(session: Session, user: User, batch_id: int, *, for_update: bool = False) -> IntakeBatch:
    """The caller's own batch (an admin's too: a batch holds an organisation's draft data)."""
    batch = repository.get(session, batch_id, for_update=for_update)
    if batch is None or batch.user_id != user.id:
        raise NotFound("导入批次不存在", "Batch not found")
    return batch


def report(session: Session, user: User, batch_id: int) -> tuple[bytes, str]:
    """The upload with its errors marked, as an xlsx to correct and upload again."""
    batch = get(session, user, batch_id)
    kind = kind_of(batch.kind)
    cell_errors: dict[tuple[int, int], list[str]] = {}
    row_errors: dict[int, list[str]] = {}
    for item in batch.issues:
        if item["col"] is None:
            row_errors.setdefault(item["row"], []).append(item["message"])
        else:
            cell_errors.setdefault((item["row"], item["col"]), []).append(item["message"])
    headers = kind.sheet.headers
    marks: dict[int, workbook.Mark] = {}
    for row in batch.rows:
        number = row["n"]
        if row["plan"] == "error":
            messages = row_errors.get(number, []) + [
                f"{headers[col]}：{m}"
                for (n, col), ms in cell_errors.items()
                if n == number
                for m in ms
            ]
            marks[number] = ("error", "；".join(messages))
        elif row["plan"] == "example":
            marks[number] = ("skipped", "示例行，导入时跳过")
        elif row["plan"] == "update":
            marks[number] = ("passed", f"通过：将更新草稿（编号 {row['id']}）")
        else:
            marks[number] = ("passed", "通过：将新建草稿")
    rows = [(r["n"], r["cells"]) for r in batch.rows]
    content = workbook.report(kind.sheet, _field_names(session), rows, cell_errors, marks)
    return content, f"{kind.sheet.title}检查结果-{batch.id}.xlsx"


def import_step(session: Session, user: User, batch_id: int, only_valid: bool) -> IntakeBatch:
    """Import the next STEP rows of the caller's batch; call again until `imported`."""
    batch = get(session, user, batch_id, for_update=True)
    kind = kind_of(batch.kind)
    may_import(user, kind)
    if batch.status == BatchStatus.imported:
        return batch
    if batch.only_valid is None:
        errors = sum(1 for r in batch.rows if r["plan"] == "error")
        if errors and not only_valid:
            raise Conflict(
                f"有 {errors} 行未通过检查：请改正后重新上传，或选择只导入通过检查的行",
                "Some rows failed the check",
                code="rows_have_errors",
            )
        batch.only_valid = only_valid
    elif batch.only_valid != only_valid:
        raise Conflict(
            "该批次已按另一种方式开始导入，请继续原方式",
            "Import mode differs",
            code="mode_mismatch",
        )
    batch.status = BatchStatus.importing
    end = min(batch.cursor + STEP, len(batch.rows))
    rows = batch.rows[batch.cursor : end]
    todo = [r for r in rows if r["plan"] not in ("error", "example")]
    batch.skipped_count += len(rows) - len(todo)
    parsers = _parsers(session, kind)
    refs = [r["cells"][0] for r in todo]
    postings = repository.postings_by_refs(session, kind.model, batch.org_id, refs)
    failures = list(batch.failures)
    for row in todo:
        try:
            with session.begin_nested():  # one bad row never takes the step down with it
                posting = postings.get(row["cells"][0])
                _store(session, user, kind, batch.org_id, parsers, row["cells"], posting)
        except (JiebangError, IntegrityError) as exc:
            failures.append({"row": row["n"], "col": None, "message": _failure(exc)})
            continue
        if posting is None:
            batch.created_count += 1
        else:
            batch.updated_count += 1
    batch.failures = failures
    batch.cursor = end
    if end == len(batch.rows):
        batch.status = BatchStatus.imported
    session.flush()
    if batch.status == BatchStatus.imported:
        refresh_statistics(session)  # up to 10,000 new drafts: SQLite's planner is told
    return batch


def _store(
    session: Session,
    user: User,
    kind: Kind,
    org_id: int,
    parsers: list[Parser],
    cells: list[str],
    posting: Any,
) -> None:
    """One row through the web form's rules: a new draft, or its draft replaced."""
    form, issues = _form(kind, parsers, cells)
    if form is None:
        raise BadRequest("；".join(m for _, m in issues), "Row no longer valid")
    if posting is None:
        kind.add_draft(session, user, org_id, form, external_ref=cells[0])
    elif posting.status not in kind.editable:
        raise Conflict(_not_editable(kind, cells[0], posting.status), "No longer a draft")
    else:
        kind.replace_draft(session, posting, form)


def _failure(exc: Exception) -> str:
    if isinstance(exc, JiebangError):
        return exc.detail
    return "外部编号已被另一次导入同时使用，请重新上传检查"


def _plan(
    kind: Kind,
    ref: str,
    number: int,
    first_row: dict[str, int],
    existing: dict[str, tuple[int, str]],
) -> tuple[str, int | None, list[Issue]]:
    """What the import will do with a row by its 外部编号: create, update, or refuse it."""
    if not ref:
        return "error", None, [(0, "「外部编号」必须填写（再次上传时据此更新，不会重复创建）")]
    if ref.startswith(EXAMPLE_PREFIX):
        return "example", None, []
    if len(ref) > REF_MAX:
        return "error", None, [(0, f"外部编号不能超过 {REF_MAX} 个字符")]
    if ref in first_row:
        return "error", None, [(0, f"与第 {first_row[ref]} 行的外部编号重复")]
    first_row[ref] = number
    if ref not in existing:
        return "create", None, []
    posting_id, status = existing[ref]
    if status not in kind.editable:
        return "error", posting_id, [(0, _not_editable(kind, ref, status))]
    return "update", posting_id, []


def _not_editable(kind: Kind, ref: str, status: str) -> str:
    return (
        f"外部编号「{ref}」对应的{kind.noun}当前为「{kind.status_label(status)}」，"
        f"只有{kind.editable_label()}的{kind.noun}可以通过导入更新"
    )


def _file_issues(table: files.Table, number: int, width: int) -> list[Issue]:
    found: list[Issue] = []
    for col in range(width):
        if (number, col) in table.formulas:
            found.append((col, FORMULA))
        if (number, col) in table.long_cells:
            found.append((col, TOO_LONG))
    return found


def _form(
    kind: Kind, parsers: list[Parser], cells: list[str]
) -> tuple[BaseModel | None, list[Issue]]:
    """The row as the web form's schema sees it, or why it cannot be."""
    payload, cell_issues = to_payload(kind.sheet, parsers, cells)
    issues: list[Issue] = list(cell_issues)
    try:
        form = kind.form.model_validate(payload)
    except ValidationError as exc:
        bad = {col for col, _ in issues}
        for loc, message in zh_messages(exc):
            col = column_of(kind.sheet, loc)
            if col is not None and message == "格式不正确":  # say which format
                message = f"格式不正确（{kind.sheet.columns[col].note}）"
            if col is None or col not in bad:
                issues.append((col, message))
        return None, issues
    if issues:
        return None, issues
    # Every field set explicitly, so a re-import replaces the defaults too.
    return kind.form.model_validate(form.model_dump()), []


def _parsers(session: Session, kind: Kind) -> list[Parser]:
    names = {f.name: f.code for f in fields.list_fields(session)}
    names |= {code: code for code in names.values()}
    by_field = lookup(names, "所属领域")
    return [by_field if c.parse is None else c.parse for c in kind.sheet.columns]


def _field_names(session: Session) -> list[str]:
    return [f.name for f in fields.list_fields(session)]
