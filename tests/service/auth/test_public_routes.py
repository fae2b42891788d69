"""Authenticated by default: only the routes listed here answer an anonymous caller.

A new route is covered without editing this file: it is found in the live OpenAPI document,
called anonymously, and must answer 401 unless it is declared public and listed below.
The open data API (/api/open/v1) is no exception but a separate router: it answers API keys,
not sessions, and tests/service/opendata/test_open_routes.py checks that every route of it
refuses a caller without a key.
"""

import re

from fastapi.testclient import TestClient

from service.app import DOMAINS
from tests.service.openapi_walk import operations

PUBLIC = {
    # accounts: signing up, in and renewing cannot need a session
    "register",
    "login",
    "refresh",
    # the board and the catalogue the anonymous pages show (needs, capabilities, search)
    "list_needs",
    "get_need",
    "list_award_results",
    "list_capabilities",
    "get_capability",
    "search_needs",
    "search_capabilities",
    "public_stats",
    # reference data the forms and the board's filters read
    "list_fields",
    "list_orgs",
    "get_org",
    # 退订 from the e-mail digest: the signed link stands for the subscriber
    "unsubscribe_by_link",
}


OPEN_API = "/api/open/"


def _name(operation: dict[str, str]) -> str:
    return operation["operationId"].split("_api_v1_")[0]


def test_the_public_routers_hold_exactly_the_listed_routes() -> None:
    routers = [domain.public for domain in DOMAINS if hasattr(domain, "public")]
    declared = {getattr(route, "name", None) for router in routers for route in router.routes}
    assert declared == PUBLIC


def test_an_anonymous_caller_is_refused_everywhere_but_the_public_routes(
    client: TestClient,
) -> None:
    answered, refused = set(), set()
    for path, method, operation in operations(client.app):
        if path.startswith(OPEN_API):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.request(method, url)
        if response.status_code == 401:
            body = response.json()
            assert body["error"] == "not_authenticated", (method, path, body)
            assert body["detail"] == "请先登录"
            assert response.headers["WWW-Authenticate"] == "Bearer"
            refused.add(_name(operation))
        else:
            answered.add(_name(operation))
    assert answered == PUBLIC, "a route answers the public: declare it on `public` and list it"
    assert len(refused) > 80
