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
from service.kit.actions import TransitionIn
from service.kit.clock import today
from service.kit.db import refresh_statistics
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
# Row keys that steer the seeding rather than fill the posting form.
_NOT_FIELDS = ("org", "deadline_in_days", "status", "reject_reason")
_LABELS = {"needs": "需求", "capabilities": "成果"}


def _read(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))
    return data


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(User))


def load(session: Session, progress: bool = False) -> dict[str, int]:
    """Insert the demo set, step by step; returns counts per kind."""
    org_ids, owners, admin = _people(session)
    counts = {"organizations": len(org_ids)}
    for kind in ("needs", "capabilities"):
        counts[kind] = _postings(session, kind, org_ids, owners, admin, progress)
    counts["matches"] = matches.load(session, DEMO_PASSWORD)
    counts |= stories.load(session, org_ids)  # 揭榜, awards, milestones, the tick
    counts |= reviews.load(session)  # 专家论证
    counts["users"] = session.scalar(select(func.count()).select_from(User)) or 0
    counts["orgs_in_db"] = session.scalar(select(func.count()).select_from(Organization)) or 0
    refresh_statistics(session)  # SQLite's planner: the list pages walk their order's index
    return counts


def _people(session: Session) -> tuple[dict[str, int], dict[int, User], User]:
    """The organisations (by key), each one's first staff member, and the first admin."""
    org_ids: dict[str, int] = {}
    for row in _read("organizations.json"):
        fields = {k: v for k, v in row.items() if k != "key"}
        org_ids[row["key"]] = orgs.create(session, OrgCreate(**fields)).id
    owners: dict[int, User] = {}
    admin: User | None = None
    for row in _read("users.json"):
        fields = {k: v for k, v in row.items() if k != "org"}
        org_id = org_ids[row["org"]] if row.get("org") else None
        user = users.create(session, UserCreate(**fields, org_id=org_id))
        if user.role in (Role.enterprise, Role.researcher) and user.org_id is not None:
            owners.setdefault(user.org_id, user)
        if user.role == Role.admin and admin is None:
            admin = user
    if admin is None:
        raise ValueError("demo users.json needs an admin")
    return org_ids, owners, admin


def _postings(
    session: Session,
    kind: str,
    org_ids: dict[str, int],
    owners: dict[int, User],
    admin: User,
    progress: bool,
) -> int:
    """The demo needs (`kind` "needs") or capabilities, each walked to its listed status."""
    rows = _read(f"{kind}.json")
    for i, row in enumerate(rows, start=1):
        owner = owners[org_ids[row["org"]]]
        fields = {k: v for k, v in row.items() if k not in _NOT_FIELDS}
        if kind == "needs":
            deadline = today() + timedelta(days=int(row["deadline_in_days"]))
            need = needs.create(session, owner, NeedCreate(**fields, deadline=deadline))
            _advance(session, owner, admin, need.id, row, needs.transition)
        else:
            cap = capabilities.create(session, owner, CapabilityCreate(**fields))
            _advance(session, owner, admin, cap.id, row, capabilities.transition)
        if progress and i % 20 == 0:
            print(f"  {_LABELS[kind]} {i}/{len(rows)}", flush=True)  # noqa: T201
    return len(rows)


def _advance(
    session: Session, owner: User, admin: User, object_id: int, row: dict[str, Any], transition: Any
) -> None:
    """Walk a demo posting to its listed status the way real users would."""
    status = row.get("status", "published")
    if status == "draft":
        return
    transition(session, owner, object_id, "submit", TransitionIn())
    if status == "published":
        transition(session, admin, object_id, "approve", TransitionIn())
    elif status == "rejected":
        reason = row.get("reject_reason") or "信息不完整"
        transition(session, admin, object_id, "reject", TransitionIn(reason=reason))
