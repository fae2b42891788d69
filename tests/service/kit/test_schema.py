"""Issue 11's indexes exist in the migrated schema: `application_members.org_id` (a member
organisation's applications) and `published_at` (the newest-first lists). `alembic check`
(scripts/run_tests.sh) proves the models and the migrations agree; this names what both must
keep, so that dropping one from both fails too."""

from sqlalchemy import Engine, inspect


def test_the_issue_11_indexes_exist(engine: Engine) -> None:
    indexes = inspect(engine)
    found = {
        (table, tuple(ix["column_names"]))
        for table in ("application_members", "capabilities", "needs")
        for ix in indexes.get_indexes(table)
    }
    for wanted in (
        ("application_members", ("org_id",)),
        ("capabilities", ("published_at",)),
        ("needs", ("published_at",)),
    ):
        assert wanted in found, f"no index on {wanted[0]}.{wanted[1][0]}"
