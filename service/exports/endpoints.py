from fastapi import APIRouter, Response

from service.auth.deps import AdminUser
from service.exports.service import MEDIA_TYPES, Dataset, Format, export
from service.kit.clock import today
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated, responses

router = APIRouter(prefix="/exports", tags=["数据导出 exports"])


@router.get(
    "/{dataset}.{fmt}",
    responses={
        200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "文件"},
        **responses(NotAuthenticated, Forbidden),
    },
    response_class=Response,
    summary="导出需求、成果、申请或匹配（管理员；CSV 为带 BOM 的 UTF-8，XLSX 为 Excel）",
)
def export_dataset(session: SessionDep, user: AdminUser, dataset: Dataset, fmt: Format) -> Response:
    content = export(session, user, dataset, fmt)
    filename = f"jiebang-{dataset.value}-{today().isoformat()}.{fmt.value}"
    return Response(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
