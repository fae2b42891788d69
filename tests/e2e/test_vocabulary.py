"""The web app's Chinese vocabulary (frontend/src/api/vocabulary.ts) is generated from the enums
and the lifecycle tables. On failure run `python scripts/export_vocabulary.py` and commit it."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _exporter():  # noqa: ANN202 - the script module
    spec = importlib.util.spec_from_file_location(
        "export_vocabulary", ROOT / "scripts" / "export_vocabulary.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_frontend_vocabulary_matches_the_enums() -> None:
    exporter = _exporter()
    committed = exporter.DEFAULT.read_text(encoding="utf-8")
    assert committed == exporter.render(), (
        "frontend/src/api/vocabulary.ts is stale: run `python scripts/export_vocabulary.py`"
    )


def test_check_fails_on_a_stale_copy(tmp_path: Path) -> None:
    stale = tmp_path / "vocabulary.ts"
    stale.write_text(_exporter().render().replace("张榜中", "已张榜"), encoding="utf-8")
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "export_vocabulary.py"),
            "--check",
            "--out",
            str(stale),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "out of date" in run.stderr
