from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Response, UploadFile
from sqlalchemy.orm import Session

from service.auth.deps import CurrentUser
from service.intake import service
from service.intake.files import MAX_BYTES, BadFile, FileTooLarge
from service.intake.presenters import batch_read
from service.intake.schemas import ImportIn, IntakeBatchRead, IntakeKind
from service.kit import errors as e
from service.kit.db import SessionDep
from service.kit.inputs import Id
from service.kit.routes import READ_ERRORS, route
from service.models import IntakeBatch, User

router = APIRouter(prefix="/intake", tags=["批量导入 intake"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}, "description": "xlsx 文件"}}


def _batch(session: Session, user: User, batch: IntakeBatch) -> IntakeBatchRead:
    return batch_read(batch)


def _xlsx(file: tuple[bytes, str]) -> Response:
    content, filename = file
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content=content, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get(
    "/{kind}/template.xlsx",
    response_class=Response,
    responses=_FILE | e.responses(e.NotAuthenticated, e.Forbidden),
    summary="下载导入模板（管理员；企业用户：需求；科研人员：成果）",
)
def download_template(session: SessionDep, user: CurrentUser, kind: IntakeKind) -> Response:
    return _xlsx(service.template(session, user, kind))


@router.post(
    "/{kind}/check",
    response_model=IntakeBatchRead,
    status_code=201,
    responses=e.responses(e.NotAuthenticated, e.Forbidden, e.NotFound, BadFile, FileTooLarge),
    summary="上传 xlsx 或 CSV 并检查（不写入任何需求或成果，返回逐行逐列的检查结果）",
)
def check_upload(
    session: SessionDep,
    user: CurrentUser,
    kind: IntakeKind,
    file: Annotated[UploadFile, File(description=f"xlsx 或 CSV，不超过 {MAX_BYTES // 2**20} MB")],
    org_id: Annotated[Id | None, Form(description="代为导入的单位（管理员必填）")] = None,
) -> IntakeBatchRead:
    batch = service.check(session, user, kind, org_id, file.filename or "", file.file)
    return batch_read(batch)


route(
    router, "GET", "/batches/{batch_id}", service.get, IntakeBatchRead, name="get_batch",
    summary="导入批次的检查结果与导入进度（上传者本人）", errors=READ_ERRORS, present=_batch,
)  # fmt: skip


@router.get(
    "/batches/{batch_id}/report.xlsx",
    response_class=Response,
    responses=_FILE | e.responses(e.NotAuthenticated, e.NotFound),
    summary="下载标出错误的检查结果（xlsx，可改正后重新上传）",
)
def download_report(session: SessionDep, user: CurrentUser, batch_id: Id) -> Response:
    return _xlsx(service.report(session, user, batch_id))


route(
    router, "POST", "/batches/{batch_id}/import",
    lambda session, user, batch_id, data: service.import_step(
        session, user, batch_id, data.only_valid
    ),
    IntakeBatchRead, name="import_batch", body=ImportIn, optional=True, present=_batch,
    summary=f"导入（每次调用导入至多 {service.STEP} 行并提交；重复调用直到状态为 imported）",
    errors=e.responses(e.NotAuthenticated, e.Forbidden, e.NotFound, e.Conflict, e.BadRequest),
)  # fmt: skip
