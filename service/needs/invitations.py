"""邀请揭榜: a need's enterprise invites the organisation of a recommended capability to apply.

One invitation per need × capability: a second is a 409 (`already_invited`), never a second
notification. Only the need's enterprise invites, only while the need takes applications
(张榜中, before its deadline, visible to researchers), and only a published capability of
another organisation."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.capabilities import service as capabilities
from service.kit.errors import BadRequest, Conflict, Forbidden
from service.models import Capability, Invitation, Need, User
from service.models.enums import CapabilityStatus, Visibility
from service.needs import auth, notices, repository
from service.needs import service as needs
from service.needs.lifecycle import INVITATION_MACHINE
from service.needs.schemas import InvitationRead


def invite(session: Session, user: User, need_id: int, capability_id: int) -> InvitationRead:
    need = _need(session, user, need_id)
    cap = capabilities.get_readable(session, user, capability_id)
    _check(need, cap)
    if repository.invitation(session, need.id, cap.id) is not None:
        raise _already(cap)
    invitation = Invitation(need_id=need.id, capability_id=cap.id, invited_by_id=user.id)
    try:
        with session.begin_nested():  # two colleagues inviting at once
            session.add(invitation)
            INVITATION_MACHINE.start(session, invitation, user.id, action="invite")
    except IntegrityError as exc:
        raise _already(cap) from exc
    anonymous = need.visibility == Visibility.anonymous
    notices.invited(session, need, cap, "一家企业" if anonymous else need.org.name)
    return InvitationRead(
        id=invitation.id,
        need_id=need.id,
        capability_id=cap.id,
        org_name=cap.org.name,
        created_at=invitation.created_at,
    )


def _need(session: Session, user: User, need_id: int) -> Need:
    need = needs.get_readable(session, user, need_id)
    INVITATION_MACHINE.require("invite", user, need)
    return need


def _check(need: Need, cap: Capability) -> None:
    if not auth.open_for_applications(need):
        raise Forbidden(
            "只有张榜中且未过揭榜截止日期的需求可以邀请揭榜",
            "Only a need open for applications may invite",
            code="need_not_open",
        )
    if need.visibility == Visibility.brokers_only:
        raise Forbidden(
            "仅对经纪人公开的需求不能邀请揭榜，请改用「请经纪人对接」",
            "A brokers-only need cannot invite applicants",
            code="need_not_open",
        )
    if cap.org_id == need.org_id:
        raise BadRequest(
            "不能邀请本企业的成果揭榜", "Cannot invite your own organisation", code="same_org"
        )
    if cap.status != CapabilityStatus.published:
        raise Forbidden(
            "该成果未发布，不能邀请揭榜", "The capability is not published", code="posting_not_open"
        )


def _already(cap: Capability) -> Conflict:
    return Conflict(
        f"已邀请「{cap.org.name}」揭榜该需求，无需重复邀请",
        "This organisation was already invited for this capability",
        code="already_invited",
    )
