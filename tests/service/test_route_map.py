"""AGENTS.md's route map names, for every URL prefix, the package that answers it: each route
of the app is found under its longest listed prefix, in the package the map names."""

import re
from pathlib import Path

from service.app import DOMAINS

AGENTS = Path(__file__).resolve().parents[2] / "AGENTS.md"
ROW = re.compile(r"^\| (`/[^|]+) \| `([a-z_]+)` \|$")


def route_map() -> dict[str, str]:
    """Prefix → package, from the table in AGENTS.md."""
    rows: dict[str, str] = {}
    for line in AGENTS.read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            for prefix in re.findall(r"`([^`]+)`", found.group(1)):
                rows[prefix] = found.group(2)
    return rows


def routes() -> list[tuple[str, str]]:
    """(path with parameters written `{id}`, package) for every route of every domain."""
    out = []
    for domain in DOMAINS:
        package = domain.__name__.removeprefix("service.").removesuffix(".endpoints")
        for router in (getattr(domain, "public", None), domain.router):
            for route in router.routes if router is not None else ():
                out.append((re.sub(r"\{[^}]+\}", "{id}", route.path), package))
    return out


def owner(path: str, rows: dict[str, str]) -> str | None:
    listed = [p for p in rows if path == p or path.startswith(p + "/")]
    return rows[max(listed, key=len)] if listed else None


def test_the_map_parses() -> None:
    rows = route_map()
    assert len(rows) >= 20 and rows["/needs"] == "needs"


def test_every_route_is_in_the_package_the_map_names() -> None:
    rows = route_map()
    wrong = [
        f"{path}: map says {owner(path, rows)}, answered by {package}"
        for path, package in routes()
        if owner(path, rows) != package
    ]
    assert wrong == [], "update the route map in AGENTS.md (or move the route)"


def test_the_rule_finds_the_longest_prefix() -> None:
    rows = {"/needs": "needs", "/needs/{id}/ledger": "milestones"}
    assert owner("/needs/{id}/ledger", rows) == "milestones"
    assert owner("/needs/{id}/submit", rows) == "needs"
    assert owner("/needsy", rows) is None
