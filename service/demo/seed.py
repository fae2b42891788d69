"""Seed the demo marketplace (service/demo/*.json) through the real services, step by step.

The steps run in order, each on what the one before made: organisations and users; needs and
capabilities (create → submit → approve/reject, as users would, so the demo has a true audit
trail); matches (`matches.py`); 揭榜 applications, awards, milestones and the deadline tick
(`stories.py`); 专家论证 (`reviews.py`). Runs only on an empty database (no users yet).
"""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.capabilities import service as capabilities
from service.capabilities.schemas import CapabilityCreate
from service.demo import matches, reviews, stories
from service.kit.clock import today
from service.models import Organization, User
from service.models.enums import Role
from service.needs import service as needs
from service.needs.schemas import NeedCreate
from service.orgs import service as orgs
from service.orgs.schemas import OrgCreate
from service.users import service as users
from service.users.schemas import UserCreate

DEMO_DIR = Path(__file__).resolve().parent
DEMO_PASSWORD = "Jiebang@2026"


def _read(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))
    return data


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def load(session: Session, progress: bool = False) -> dict[str, int]:
    """Insert the demo set, step by step; returns counts per kind."""
    org_ids, owners, admin = _people(session)
    counts = {"organizations": len(org_ids)}
    counts["needs"] = _needs(session, org_ids, owners, admin, progress)
    counts["capabilities"] = _capabilities(session, org_ids, owners, admin, progress)
    counts["matches"] = matches.load(session, DEMO_PASSWORD)
    counts |= stories.load(session, org_ids)  # 揭榜, awards, milestones, the tick
    counts |= reviews.load(session)  # 专家论证
    counts["users"] = session.scalar(select(func.count()).select_from(User)) or 0
    counts["orgs_in_db"] = session.scalar(select(func.count()).select_from(Organization)) or 0
    return counts


def _people(session: Session) -> tuple[dict[str, int], dict[int, User], User]:
    """The organisations (by key), each one's first staff member, and the first admin."""
    org_ids: dict[str, int] = {}
    for row in _read("organizations.json"):
        org = orgs.create(
            session,
            OrgCreate(
                name=row["name"],
                kind=row["kind"],
                region=row.get("region", ""),
                description=row.get("description", ""),
            ),
        )
        org_ids[row["key"]] = org.id
    owners: dict[int, User] = {}
    admin: User | None = None
    for row in _read("users.json"):
        user = users.create(
            session,
            UserCreate(
                username=row["username"],
                password=row["password"],
                display_name=row["display_name"],
                role=row["role"],
                org_id=org_ids[row["org"]] if row.get("org") else None,
                email=row.get("email", ""),
                phone=row.get("phone", ""),
            ),
        )
        if user.role in (Role.enterprise, Role.researcher) and user.org_id is not None:
            owners.setdefault(user.org_id, user)
        if user.role == Role.admin and admin is None:
            admin = user
    if admin is None:
        raise ValueError("demo users.json needs an admin")
    return org_ids, owners, admin


def _needs(
    session: Session, org_ids: dict[str, int], owners: dict[int, User], admin: User, progress: bool
) -> int:
    need_rows = _read("needs.json")
    for i, row in enumerate(need_rows, start=1):
        owner = owners[org_ids[row["org"]]]
        deadline = today() + timedelta(days=int(row["deadline_in_days"]))
        payload = {
            k: v
            for k, v in row.items()
            if k not in ("org", "deadline_in_days", "status", "reject_reason")
        }
        need = needs.create(session, owner, NeedCreate(**payload, deadline=deadline))
        _advance(session, owner, admin, need.id, row, needs.transition)
        if progress and i % 10 == 0:
            print(f"  需求 {i}/{len(need_rows)}", flush=True)  # noqa: T201
    return len(need_rows)


def _capabilities(
    session: Session, org_ids: dict[str, int], owners: dict[int, User], admin: User, progress: bool
) -> int:
    cap_rows = _read("capabilities.json")
    for i, row in enumerate(cap_rows, start=1):
        owner = owners[org_ids[row["org"]]]
        payload = {k: v for k, v in row.items() if k not in ("org", "status", "reject_reason")}
        cap = capabilities.create(session, owner, CapabilityCreate(**payload))
        _advance(session, owner, admin, cap.id, row, capabilities.transition)
        if progress and i % 20 == 0:
            print(f"  成果 {i}/{len(cap_rows)}", flush=True)  # noqa: T201
    return len(cap_rows)


def _advance(
    session: Session, owner: User, admin: User, object_id: int, row: dict[str, Any], transition: Any
) -> None:
    """Walk a demo posting to its listed status the way real users would."""
    status = row.get("status", "published")
    if status == "draft":
        return
    transition(session, owner, object_id, "submit")
    if status == "published":
        transition(session, admin, object_id, "approve")
    elif status == "rejected":
        transition(session, admin, object_id, "reject", row.get("reject_reason") or "信息不完整")
