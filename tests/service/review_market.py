"""The 专家论证 test market: a 揭榜挂帅 need, two applications (one a consortium), experts."""

from sqlalchemy.orm import Session

from service.models import Need, User
from service.models.enums import OrgKind, Role
from tests.factories import auth, create_application, create_need, create_org, create_user

FULL = {"tech_advancement": 5, "feasibility": 4, "team_capability": 4, "budget_reasonableness": 3}


def make_panel(session: Session) -> dict:
    owner = create_user(session, Role.enterprise)
    need = create_need(session, owner, call_type="jiebang_guashuai")
    lab, lab2 = create_user(session, Role.researcher), create_user(session, Role.researcher)
    partner = create_org(session, OrgKind.institute)
    return {
        "owner": owner,
        "need": need,
        "lab": lab,
        "lab2": lab2,
        "partner": partner,
        "app": create_application(session, need, lab, members=[(partner, "40")], lead_share="60"),
        "app2": create_application(session, need, lab2),
        "admin": create_user(session, Role.admin),
        "expert": create_user(session, Role.expert, display_name="吴专家"),
        "expert2": create_user(session, Role.expert, display_name="钱专家"),
        "broker": create_user(session, Role.broker),
        "outsider": create_user(session, Role.enterprise),
    }


def assign(client, panel: dict, expert: User, by: str = "admin", need: Need | None = None, **kw):
    body = {"expert_id": expert.id, **kw}
    need = need or panel["need"]
    return client.post(
        f"/api/v1/needs/{need.id}/review-assignments", json=body, headers=auth(panel[by])
    )


def score(client, user: User, assignment_id: int, app_id: int, scores=FULL, comment="方案可行"):
    return client.put(
        f"/api/v1/review-assignments/{assignment_id}/reviews/{app_id}",
        json={"scores": scores, "comment": comment},
        headers=auth(user),
    )


def post(client, user: User, assignment_id: int, action: str, **body):
    return client.post(
        f"/api/v1/review-assignments/{assignment_id}/{action}", json=body, headers=auth(user)
    )
