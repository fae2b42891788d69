"""The web client's copy of the API schema (frontend/openapi.json, from which `npm run gen:api`
makes src/api/schema.d.ts) matches the API. On failure run `python scripts/export_openapi.py`
and `npm run gen:api` in frontend/, then commit both files."""

import json
from pathlib import Path

from service.app import create_app

COMMITTED = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_frontend_openapi_matches_the_api() -> None:
    live = json.loads(json.dumps(create_app().openapi()))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    changed = sorted(
        set(live["paths"]) ^ set(committed["paths"])
        | {
            p
            for p in set(live["paths"]) & set(committed["paths"])
            if live["paths"][p] != committed["paths"][p]
        }
    )
    assert live == committed, f"frontend/openapi.json is stale; paths that differ: {changed}"
