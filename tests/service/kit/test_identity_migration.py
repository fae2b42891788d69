"""The migration that adds the normalised unique names fills them for existing rows: demo
logins keep working, and a legacy look-alike keeps its row without breaking uniqueness."""

from pathlib import Path

from alembic import command
from sqlalchemy import text

from service.kit.db import make_engine
from service.kit.migrate import alembic_config

BEFORE, REVISION = "2061f54d12ca", "1fe08a3ecd8e"


def test_backfill_of_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    config = alembic_config(url)
    command.upgrade(config, BEFORE)
    engine = make_engine(url)
    stamp = "'2026-12-01 00:00:00'"
    with engine.begin() as conn:
        for name in ("Ａcme 光电", "acme光电\u200b"):
            conn.execute(
                text(
                    "INSERT INTO organizations (name, kind, region, description, created_at,"
                    f" updated_at) VALUES (:name, 'enterprise', '', '', {stamp}, {stamp})"
                ),
                {"name": name},
            )
        for username in ("enterprise", "Enterprise"):
            conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, display_name, role, org_id,"
                    " email, phone, is_active, created_at, updated_at) VALUES (:u, 'x', 'x',"
                    f" 'enterprise', 1, '', '', 1, {stamp}, {stamp})"
                ),
                {"u": username},
            )
    command.upgrade(config, REVISION)
    with engine.connect() as conn:
        users = conn.execute(
            text("SELECT username, username_key, status, token_version FROM users ORDER BY id")
        ).all()
        orgs = conn.execute(text("SELECT name_key FROM organizations ORDER BY id")).scalars()
        assert [tuple(u) for u in users] == [
            ("enterprise", "enterprise", "active", 0),
            ("Enterprise", "enterprise#2", "active", 0),
        ]
        assert list(orgs) == ["acme光电", "acme光电#2"]
    command.downgrade(config, BEFORE)
    command.upgrade(config, REVISION)
    engine.dispose()
