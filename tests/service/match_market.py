"""A small marketplace for the match tests: one need × one capability and every kind of caller."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from service.models import Capability, Match, Need, User
from service.models.enums import OrgKind, Role
from tests.factories import (
    auth,
    create_capability,
    create_match,
    create_need,
    create_org,
    create_user,
)

ROLES = (
    "broker",
    "admin",
    "need_owner",
    "cap_owner",
    "other_enterprise",
    "other_researcher",
    "expert",
    "public",
)


@dataclass
class Market:
    need: Need
    cap: Capability
    users: dict[str, User]

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "public" else auth(self.users[role])

    def match(self, session: Session, status: str = "candidate", **kw: Any) -> Match:
        """A match of the market's pair in `status`; from `approved` on, attributed to the
        broker (as an approval would have left it)."""
        if status not in ("candidate", "rejected"):
            kw.setdefault("broker_id", self.users["broker"].id)
        return create_match(session, self.need, self.cap, status=status, **kw)


def build_market(session: Session) -> Market:
    need_owner = create_user(session, Role.enterprise, display_name="需求方")
    cap_owner = create_user(session, Role.researcher, display_name="成果方")
    need = create_need(
        session, need_owner, title="柔性OLED薄膜封装水汽阻隔", bounty=Decimal("3000000.00")
    )
    cap = create_capability(session, cap_owner, title="原子层沉积水汽阻隔膜")
    users = {
        "broker": create_user(session, Role.broker, display_name="经纪人甲"),
        "admin": create_user(session, Role.admin, display_name="管理员"),
        "need_owner": need_owner,
        "cap_owner": cap_owner,
        "other_enterprise": create_user(session, Role.enterprise),
        "other_researcher": create_user(session, Role.researcher),
        "expert": create_user(session, Role.expert, org=create_org(session, OrgKind.university)),
    }
    return Market(need=need, cap=cap, users=users)
