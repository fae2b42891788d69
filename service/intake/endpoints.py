from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Response, UploadFile
from sqlalchemy.orm import Session

from service.auth.deps import CurrentUser
from service.intake import service
from service.intake.files import MAX_BYTES, BadFile, FileTooLarge
from service.intake.kinds import KINDS, kind_of
from service.intake.schemas import ImportIn, IntakeBatchRead, IntakeKind
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    responses,
)
from service.kit.inputs import Id
from service.models import IntakeBatch

router = APIRouter(prefix="/intake", tags=["批量导入 intake"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}, "description": "xlsx 文件"}}


def _xlsx(content: bytes, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content=content, media_type=XLSX, headers={"Content-Disposition": disposition})


def _read(session: Session, batch: IntakeBatch) -> IntakeBatchRead:
    headers = KINDS[IntakeKind(batch.kind)].sheet.headers
    return IntakeBatchRead.build(batch, service.org_of(session, batch), headers)


@router.get(
    "/{kind}/template.xlsx",
    response_class=Response,
    responses=_FILE | responses(NotAuthenticated, Forbidden),
    summary="下载导入模板（管理员；企业用户：需求；科研人员：成果）",
)
def download_template(session: SessionDep, user: CurrentUser, kind: IntakeKind) -> Response:
    spec = kind_of(kind)
    return _xlsx(service.template(session, user, spec), f"{spec.sheet.title}导入模板.xlsx")


@router.post(
    "/{kind}/check",
    response_model=IntakeBatchRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, NotFound, BadFile, FileTooLarge),
    summary="上传 xlsx 或 CSV 并检查（不写入任何需求或成果，返回逐行逐列的检查结果）",
)
def check_upload(
    session: SessionDep,
    user: CurrentUser,
    kind: IntakeKind,
    file: Annotated[UploadFile, File(description=f"xlsx 或 CSV，不超过 {MAX_BYTES // 2**20} MB")],
    org_id: Annotated[Id | None, Form(description="代为导入的单位（管理员必填）")] = None,
) -> IntakeBatchRead:
    spec = kind_of(kind)
    service.may_import(user, spec)  # refuse before reading the body into memory
    content = file.file.read(MAX_BYTES + 1)
    batch, _ = service.check(session, user, spec, org_id, file.filename or "", content)
    return _read(session, batch)


@router.get(
    "/batches/{batch_id}",
    response_model=IntakeBatchRead,
    responses=responses(NotAuthenticated, NotFound),
    summary="导入批次的检查结果与导入进度（上传者本人）",
)
def get_batch(session: SessionDep, user: CurrentUser, batch_id: Id) -> IntakeBatchRead:
    return _read(session, service.get(session, user, batch_id))


@router.get(
    "/batches/{batch_id}/report.xlsx",
    response_class=Response,
    responses=_FILE | responses(NotAuthenticated, NotFound),
    summary="下载标出错误的检查结果（xlsx，可改正后重新上传）",
)
def download_report(session: SessionDep, user: CurrentUser, batch_id: Id) -> Response:
    batch = service.get(session, user, batch_id)
    spec = KINDS[IntakeKind(batch.kind)]
    content = service.report(session, spec, batch)
    return _xlsx(content, f"{spec.sheet.title}检查结果-{batch.id}.xlsx")


@router.post(
    "/batches/{batch_id}/import",
    response_model=IntakeBatchRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound, Conflict, BadRequest),
    summary=f"导入（每次调用导入至多 {service.STEP} 行并提交；重复调用直到状态为 imported）",
)
def import_batch(
    session: SessionDep, user: CurrentUser, batch_id: Id, data: ImportIn | None = None
) -> IntakeBatchRead:
    body = data or ImportIn()
    batch = service.get(session, user, batch_id)
    spec = KINDS[IntakeKind(batch.kind)]
    return _read(session, service.import_step(session, user, spec, batch_id, body.only_valid))
