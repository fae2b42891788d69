"""The demo shows 专家论证 in progress and inboxes with notifications, made by the real services."""

from sqlalchemy.orm import Session

from service.demo import seed


def _login(client, username: str) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/token", data={"username": username, "password": seed.DEMO_PASSWORD}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_demo_reviews_and_notifications(client, session: Session) -> None:
    counts = seed.load(session)
    assert counts["review_assignments"] == 3
    expert = _login(client, "expert")
    mine = client.get("/api/v1/review-assignments", headers=expert).json()
    assert sorted(a["status"] for a in mine["items"]) == ["assigned", "submitted"]
    assert not any(a["conflict_of_interest"] for a in mine["items"])
    submitted = next(a for a in mine["items"] if a["status"] == "submitted")
    admin = _login(client, "admin")
    results = client.get(f"/api/v1/needs/{submitted['need_id']}/review-results", headers=admin)
    ranked = results.json()["applications"]
    assert [r["rank"] for r in ranked] == [1, 2] and ranked[0]["review_count"] == 1
    assert client.get("/api/v1/notifications/unread-count", headers=admin).json()["unread"] >= 1
    enterprise = _login(client, "ent_suanli_data")  # posted the need under review
    inbox = client.get("/api/v1/notifications", headers=enterprise).json()
    kinds = {n["kind"] for n in inbox["items"]}
    assert {"need_approved", "application_received"} <= kinds
    unread = client.get("/api/v1/notifications/unread-count", headers=enterprise).json()["unread"]
    assert 0 < unread < inbox["total"]  # the approvals were read, the applications not yet
    researcher = _login(client, "researcher")
    notes = client.get("/api/v1/notifications", headers=researcher).json()["items"]
    assert "application_shortlisted" in {n["kind"] for n in notes}
