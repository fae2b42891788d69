"""Look-alike identities: usernames and organisation names are unique up to case, width
(NFKC) and invisible or bidi-control characters, which are never stored."""

import pytest
from sqlalchemy.orm import Session

from service.kit.identity import clean_name, identity_key
from service.models import Organization, User
from service.models.enums import Role
from tests.factories import PASSWORD, create_org, create_user


def _register(client, username: str, org_name: str):
    body = {
        "username": username,
        "password": "Abcdef12",
        "display_name": "张三",
        "org": {"name": org_name, "kind": "enterprise"},
    }
    return client.post("/api/v1/auth/register", json=body)


@pytest.mark.parametrize(
    "look_alike",
    ["Enterprise", "ENTERPRISE", "ｅｎｔｅｒｐｒｉｓｅ", "enter\u200bprise", "\u202eenterprise"],
)
def test_username_look_alikes_are_taken(client, session: Session, look_alike: str) -> None:
    create_user(session, Role.enterprise, username="enterprise")
    r = _register(client, look_alike, "另一家机构")
    assert r.status_code == 409 and r.json()["error"] == "username_taken"


@pytest.mark.parametrize(
    "look_alike",
    [
        "昆山华鑫微电子",
        "昆山华鑫微电子\u200b",
        "昆山\u202e华鑫微电子",
        "昆山 华鑫微电子",
        "昆山华鑫微电子\ufeff",
    ],
)
def test_org_name_look_alikes_are_taken(client, session: Session, look_alike: str) -> None:
    create_org(session, name="昆山华鑫微电子")
    r = _register(client, "newcomer", look_alike)
    assert r.status_code == 409 and r.json()["error"] == "org_exists"


def test_latin_org_names_fold_case_and_width(client, session: Session) -> None:
    create_org(session, name="Acme Photonics")
    for name in ("ACME PHOTONICS", "Ａｃｍｅ Ｐｈｏｔｏｎｉｃｓ", "acme\u2066 photonics"):
        assert _register(client, "newcomer", name).json()["error"] == "org_exists", name


def test_invisible_characters_are_stripped_from_stored_names(client, session: Session) -> None:
    r = _register(client, "ｗａｎｇ\u200d_wu", "\u202e新\u200b材料\u2069科技")
    assert r.status_code == 201, r.text
    user = session.get(User, r.json()["user"]["id"])
    org = session.get(Organization, r.json()["user"]["org"]["id"])
    assert user.username == "wang_wu" and user.username_key == "wang_wu"
    assert org.name == "新材料科技" and r.json()["user"]["org"]["name"] == "新材料科技"


def test_login_is_case_and_width_insensitive(client, session: Session) -> None:
    """Demo logins keep working as typed; other spellings of the same name reach them too."""
    user = create_user(session, Role.broker, username="broker")
    for typed in ("broker", "Broker", "ｂｒｏｋｅｒ", "bro\u200bker"):
        r = client.post("/api/v1/auth/token", data={"username": typed, "password": PASSWORD})
        assert r.status_code == 200 and r.json()["user"]["id"] == user.id, typed


def test_normal_forms() -> None:
    assert clean_name("  Ａ\u200bB\u202eC  d ") == "ABC d"
    assert identity_key("  Ａ\u200bB\u202eC  d ") == "abcd"
    assert identity_key("Straße") == identity_key("STRASSE")
    assert clean_name("第\u00adⅠ期") == "第I期"
