"""Learning from brokers: labels round trip, the held-out guard, and the model admins see."""

import itertools

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.embedders import HashEmbedder
from matching.model import default_model
from service.engine import learning
from service.engine.store import IndexStore
from service.models import Capability, Need, RankModelRecord
from service.models.enums import OrgKind, Role
from tests.factories import (
    auth,
    create_application,
    create_capability,
    create_match,
    create_need,
    create_org,
    create_user,
)

# Features at which the shipped model says exactly 50 % (same field, no indicator): dense and
# char traded against each other along a line of constant logit, so every such pair has the
# same shipped score. Without the second dense view the shipped model's fallback scores them.
_SCORER = default_model().for_features({"dense": 0.0, "char": 0.0, "indicator": 0.0})
_W = _SCORER.weights
_DENSE0 = 4.0
_CHAR0 = (-_SCORER.intercept - _W["dense"] * _DENSE0 - _W["field"]) / _W["char"]


def _even(t: float) -> dict[str, float]:
    return {
        "dense": _DENSE0 + t,
        "char": _CHAR0 - t * _W["dense"] / _W["char"],
        "indicator": 0.0,
        "field": 1.0,
    }


def _postings(session: Session, needs: int, caps: int) -> tuple[list[Need], list[Capability]]:
    owner = create_user(session, Role.enterprise)
    lab = create_user(session, Role.researcher, org=create_org(session, OrgKind.university))
    return (
        [create_need(session, owner) for _ in range(needs)],
        [create_capability(session, lab) for _ in range(caps)],
    )


def test_labels_come_from_broker_decisions_and_awards(session: Session) -> None:
    (need,), caps = _postings(session, 1, 7)
    f = {"dense": 1.0, "char": 2.0, "indicator": 0.0, "field": 1.0}
    create_match(session, need, caps[0], status="approved", features=f)
    create_match(session, need, caps[1], status="rejected", features=f)
    create_match(session, need, caps[2], status="deal", features=f)
    create_match(session, need, caps[3], status="declined", features=f)  # broker said relevant
    create_match(session, need, caps[4], features=f)  # awaiting review: no label
    create_match(session, need, caps[5], features=f)  # awarded below
    manual = create_match(
        session, need, caps[6], status="approved", origin="broker", score=None, features=None
    )
    for status, cap_id in (
        ("awarded", caps[5].id),
        ("awarded", manual.capability_id),  # a hand-made pair: no features to learn from
        ("rejected", caps[4].id),
    ):
        applicant = create_user(
            session, Role.researcher, org=create_org(session, OrgKind.institute)
        )
        create_application(session, need, applicant, status=status, capability_id=cap_id)

    rows, counts = learning.labels(session)
    assert sorted(label for _, _, label in rows) == [0, 1, 1, 1, 1]
    assert all(group == need.id and features == f for group, features, _ in rows)
    assert counts == {"approved": 3, "rejected": 1, "awarded": 1, "awards_without_features": 1}


def test_learn_stores_a_better_model_and_the_engine_ranks_with_it(
    client: TestClient, session: Session
) -> None:
    """Brokers approve what the shipped model calls a coin toss whenever dense is higher."""
    needs, caps = _postings(session, 12, 4)
    for need, (n, cap) in itertools.product(needs, enumerate(caps)):
        t = 1.0 if n % 2 == 0 else -1.0
        status = "approved" if t > 0 else "rejected"
        create_match(session, need, cap, status=status, features=_even(t))
    store = IndexStore(HashEmbedder(16))
    store.use_newest_model(session)
    assert store.rank_model.source == "shipped" and store.rank_model_id is None

    record, report = learning.learn(session)
    assert record is not None and report["accepted"] and report["after"] < report["before"]
    assert (record.source, record.n_labels) == ("learned", 48)
    assert record.heldout_score == pytest.approx(report["after"])

    store.use_newest_model(session)  # what every API process does before ranking
    assert store.rank_model_id == record.id and store.rank_model.source == "learned"
    model = store.rank_model
    assert model.weights == pytest.approx(learning.model_of(record).weights)
    up, down = model.score(_even(1.0))[0], model.score(_even(-1.0))[0]
    assert up > 50 > down  # the learned model tells the pairs apart; the shipped one did not
    assert default_model().score(_even(1.0))[0] == pytest.approx(50.0)

    admin = create_user(session, Role.admin)
    shown = client.get("/api/v1/engine/model", headers=auth(admin)).json()
    assert (shown["source"], shown["source_label"], shown["n_labels"]) == (
        "learned",
        "由经纪人标注学习",
        48,
    )
    assert shown["heldout_score"] == pytest.approx(report["after"])
    assert shown["stored_at"] and shown["report"]["approved"] == 24
    assert [b["band_label"] for b in shown["bands"]] == ["高", "中", "低"]


def test_learn_keeps_the_model_in_use_unless_the_fit_is_better(session: Session) -> None:
    """Labels that carry nothing beyond what the shipped model knows: it stays in use."""
    needs, caps = _postings(session, 12, 4)
    for need, (n, cap) in itertools.product(needs, enumerate(caps)):
        # in every need, one pair of each label at each point: the shipped 50 % is right
        t = (-1.0, -1.0, 1.0, 1.0)[n]
        status = "approved" if n % 2 == 0 else "rejected"
        create_match(session, need, cap, status=status, features=_even(t))
    record, report = learning.learn(session)
    assert record is None and not report["accepted"] and report["labels"] == 48
    assert report["after"] >= report["before"]
    assert session.scalars(select(RankModelRecord)).all() == []
    assert learning.in_use(session)[0].source == "shipped"


def test_learn_refuses_too_few_labels(session: Session) -> None:
    (need,), caps = _postings(session, 1, 2)
    create_match(session, need, caps[0], status="approved")
    create_match(session, need, caps[1], status="rejected")
    record, report = learning.learn(session)
    assert record is None and not report["accepted"] and "标注" in report["reason"]


def test_the_shipped_model_is_shown_before_any_learning(
    client: TestClient, session: Session
) -> None:
    shown = client.get("/api/v1/engine/model", headers=auth(create_user(session, Role.admin)))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["source"], body["stored_at"]) == ("shipped", None)
    assert body["n_labels"] == default_model().n_labels and body["heldout"]


@pytest.mark.parametrize("role", [Role.enterprise, Role.researcher, Role.broker, Role.expert, None])
def test_only_admins_see_the_model(client: TestClient, session: Session, role: Role | None) -> None:
    headers = auth(create_user(session, role)) if role else {}
    r = client.get("/api/v1/engine/model", headers=headers)
    assert r.status_code == (401 if role is None else 403)
    assert r.json()["error"] in ("not_authenticated", "wrong_role", "forbidden")
