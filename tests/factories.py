"""Small create_* helpers: the smallest valid objects, overridable per test."""

from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from service.kit.clock import today
from service.kit.security import create_access_token, hash_password
from service.matches.lifecycle import MATCH_MACHINE
from service.models import (
    Application,
    ApplicationMember,
    Capability,
    Match,
    Milestone,
    Need,
    Organization,
    User,
)
from service.models.enums import OrgKind, Role

_seq = count(1)
PASSWORD = "Passw0rd!"
_HASH = hash_password(PASSWORD)


def create_org(session: Session, kind: OrgKind = OrgKind.enterprise, **kw: Any) -> Organization:
    org = Organization(
        name=kw.pop("name", f"测试机构{next(_seq)}"), kind=kind, region="昆山", description="", **kw
    )
    session.add(org)
    session.flush()
    return org


_KIND_FOR_ROLE = {
    Role.enterprise: OrgKind.enterprise,
    Role.researcher: OrgKind.university,
    Role.broker: OrgKind.broker_agency,
    Role.admin: OrgKind.government,
    Role.expert: OrgKind.university,
}


def create_user(
    session: Session, role: Role = Role.enterprise, org: Organization | None = None, **kw: Any
) -> User:
    if org is None:
        org = create_org(session, _KIND_FOR_ROLE[role])
    user = User(
        username=kw.pop("username", f"user{next(_seq)}"),
        password_hash=_HASH,
        display_name=kw.pop("display_name", "测试用户"),
        role=role,
        org_id=org.id,
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def auth(user: User) -> dict[str, str]:
    token, _ = create_access_token(user.id, user.token_version)
    return {"Authorization": f"Bearer {token}"}


def need_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "OLED 面板边缘发黄问题攻关",
        "problem": "高温高湿老化后，面板边缘出现发黄和暗斑，客户退货率上升。",
        "key_difficulty": "薄膜封装层水氧阻隔不足，边缘侧向渗透难以抑制。",
        "expected_goal": "85℃/85%RH 老化 1000 小时后无可见发黄。",
        "field": "display",
        "industry": "平板显示面板制造",
        "keywords": ["薄膜封装", "水氧阻隔"],
        "indicators": [
            {"name": "水汽透过率", "comparator": "<=", "value": "0.000001", "unit": "g/m²/day"}
        ],
        "call_type": "jiebang_guashuai",
        "cooperation_mode": "tech_development",
        "bounty_wan": "300",
        "own_investment_wan": "500.5",
        "deadline": (today() + timedelta(days=60)).isoformat(),
        "implementation_months": 18,
        "visibility": "public",
        "contact": {"name": "王工", "phone": "13800000000", "email": "wang@example.com"},
    }
    payload.update(overrides)
    return payload


def create_need(session: Session, owner: User, status: str = "published", **overrides: Any) -> Need:
    values: dict[str, Any] = {
        "title": "测试需求标题",
        "problem": "主要问题描述文字足够长",
        "key_difficulty": "技术关键描述文字足够长",
        "expected_goal": "预期目标描述文字足够长",
        "field_code": "display",
        "industry": "显示",
        "keywords": ["测试"],
        "indicators": [],
        "call_type": "regular",
        "cooperation_mode": "tech_development",
        "bounty": Decimal("1000000.00"),
        "own_investment": None,
        "deadline": today() + timedelta(days=30),
        "implementation_months": 12,
        "visibility": "public",
        "contact_name": "联系人",
        "contact_phone": "13900000000",
        "contact_email": "c@example.com",
    }
    values.update(overrides)
    need = Need(org_id=owner.org_id, created_by_id=owner.id, status=status, **values)
    session.add(need)
    session.flush()
    return need


def capability_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "原子层沉积超薄阻隔膜技术",
        "description": "采用低温原子层沉积制备氧化铝/氧化锆叠层阻隔膜，水汽透过率达到1e-6量级。",
        "field": "new_materials",
        "keywords": ["原子层沉积", "阻隔膜"],
        "indicators": [
            {"name": "水汽透过率", "comparator": "=", "value": "0.0000008", "unit": "g/m²/day"}
        ],
        "maturity": "pilot_small",
        "trl": 5,
        "ip_type": "patent",
        "patent_numbers": ["ZL202110000001.1"],
        "tech_level": "international_advanced",
        "transaction_modes": ["exclusive_license", "joint_development"],
        "price_min_wan": "80",
        "price_max_wan": "200",
        "team": "材料学院薄膜团队",
        "contact": {"name": "李老师", "phone": "13700000000"},
    }
    payload.update(overrides)
    return payload


def create_capability(
    session: Session, owner: User, status: str = "published", **overrides: Any
) -> Capability:
    values: dict[str, Any] = {
        "title": "测试成果",
        "description": "测试成果描述，文字足够长用于校验。",
        "field_code": "new_materials",
        "keywords": ["测试"],
        "indicators": [],
        "maturity": "sample",
        "trl": 4,
        "ip_type": "none",
        "patent_numbers": [],
        "tech_level": "domestic_advanced",
        "transaction_modes": [],
        "price_min": None,
        "price_max": None,
        "team": "",
        "contact_name": "联系人",
        "contact_phone": "13900000000",
        "contact_email": "",
    }
    values.update(overrides)
    cap = Capability(org_id=owner.org_id, created_by_id=owner.id, status=status, **values)
    session.add(cap)
    session.flush()
    return cap


def create_match(
    session: Session, need: Need, capability: Capability, status: str = "candidate", **kw: Any
) -> Match:
    """A match row as the engine leaves it (a candidate with its `create` audit row), or
    placed directly in `status` (no history) for tests of later stages."""
    values: dict[str, Any] = {
        "origin": "engine",
        "score": 80.0,  # 0–100; the parts add up to it
        "parts": {"base": 0.1, "semantic": 40.0, "keyword": 25.0, "indicator": 10.0, "field": 4.9},
        "features": {"dense": 2.5, "char": 3.0, "indicator": 1.0, "field": 1.0},
        "reasons": ["共同关键词：测试"],
        "explanation": {"terms": ["测试"]},
        "texts_hash": "0" * 64,
        "note": "",
        "need_interest": False,
        "capability_interest": False,
    }
    values.update(kw)
    match = Match(need_id=need.id, capability_id=capability.id, status=status, **values)
    session.add(match)
    session.flush()
    if status == "candidate":
        MATCH_MACHINE.start(session, match, None)
    return match


def create_application(
    session: Session,
    need: Need,
    applicant: User,
    status: str = "submitted",
    members: list[tuple[Organization, str]] | None = None,
    lead_share: str = "100",
    **overrides: Any,
) -> Application:
    """An application of `applicant`'s organisation; `members` are (org, share %) pairs."""
    values: dict[str, Any] = {
        "technical_plan": "技术方案文字足够长",
        "work_plan": "研发计划文字足够长",
        "assessable_goals": "可考核目标文字足够长",
        "requested_amount": Decimal("100000.00"),
        "timeline_months": 12,
        "team": "团队",
    }
    values.update(overrides)
    app = Application(
        need_id=need.id,
        org_id=applicant.org_id,
        created_by_id=applicant.id,
        status=status,
        members=[
            ApplicationMember(org_id=applicant.org_id, share=Decimal(lead_share), is_lead=True)
        ]
        + [ApplicationMember(org_id=o.id, share=Decimal(s)) for o, s in members or []],
        **values,
    )
    session.add(app)
    session.flush()
    return app


def create_milestone(
    session: Session, app: Application, status: str = "proposed", **overrides: Any
) -> Milestone:
    values: dict[str, Any] = {
        "name": "样机交付",
        "due_date": today() + timedelta(days=90),
        "amount": Decimal("100000.00"),
        "acceptance_criteria": "通过第三方检测",
    }
    values.update(overrides)
    milestone = Milestone(
        need_id=app.need_id,
        application_id=app.id,
        created_by_id=app.created_by_id,
        status=status,
        **values,
    )
    session.add(milestone)
    session.flush()
    return milestone
