"""When a need takes 揭榜 applications (shared by applying, editing and joining a consortium)."""

from service.kit.clock import today
from service.kit.errors import InvalidTransition
from service.models import Need
from service.models.enums import NeedStatus


def open_for_applications(need: Need) -> None:
    if need.status != NeedStatus.published:
        raise InvalidTransition(
            "该需求当前不接受揭榜申请", "Need is not open for applications", code="need_not_open"
        )
    if need.deadline < today():
        raise InvalidTransition(
            "揭榜截止日期已过", "The deadline has passed", code="deadline_passed"
        )
