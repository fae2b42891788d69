"""E-mail copies of notifications, delivered to a real SMTP server (aiosmtpd) run by the test."""

import logging
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import get_settings
from service.models import Notification, Organization
from service.models.enums import Role
from service.notifications.mail import OUTBOX
from service.notifications.service import notify
from tests.factories import auth, create_need, create_user


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        OUTBOX.join()
        return [
            message_from_bytes(e.original_content, policy=policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _configure(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    env = {
        "JIEBANG_SMTP_HOST": "127.0.0.1",
        "JIEBANG_SMTP_PORT": str(port),
        "JIEBANG_SMTP_FROM": "揭榜平台 <noreply@jiebang.example>",
        "JIEBANG_PUBLIC_URL": "https://jiebang.example",
        **extra,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    _configure(monkeypatch, controller.port)
    yield inbox
    OUTBOX.join()
    controller.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


def _approve_a_need(client, session: Session, email: str = "wang@example.com"):
    owner = create_user(session, Role.enterprise, email=email, display_name="王立新")
    colleague = create_user(session, Role.enterprise, org=session.get(Organization, owner.org_id))
    need = create_need(session, owner, status="submitted", title="柔性屏薄膜封装水汽阻隔")
    admin = create_user(session, Role.admin)
    r = client.post(f"/api/v1/needs/{need.id}/approve", headers=auth(admin))
    assert r.status_code == 200, r.text
    return owner, colleague, need


def test_notification_is_mailed_after_commit_in_utf8(client, session: Session, smtp: Inbox) -> None:
    owner, colleague, need = _approve_a_need(client, session)
    (message,) = smtp.messages()  # the colleague has no e-mail address: no second message
    assert smtp.envelopes[0].rcpt_tos == ["wang@example.com"]
    assert message["Subject"] == "【揭榜】您的需求「柔性屏薄膜封装水汽阻隔」已审核通过并张榜"
    assert message["To"].addresses[0].display_name == "王立新"
    assert message["From"].addresses[0].addr_spec == "noreply@jiebang.example"
    raw = smtp.envelopes[0].original_content
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0]  # encoded headers, ASCII on the wire
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "揭榜截止日期" in body and f"https://jiebang.example/needs/{need.id}" in body
    # the in-app notifications are there too, for both users of the organisation
    kinds = session.scalars(
        select(Notification.user_id).where(Notification.kind == "need_approved")
    ).all()
    assert sorted(kinds) == sorted([owner.id, colleague.id])


def test_rolled_back_notifications_are_never_mailed(session: Session, smtp: Inbox) -> None:
    user = create_user(session, email="li@example.cn")
    session.commit()
    notify(session, [user.id], "test_event", "不会发送的通知")
    session.rollback()
    session.commit()
    assert smtp.messages() == []
    (kept,) = notify(session, [user.id], "test_event", "会发送的通知", "正文")
    session.commit()
    (message,) = smtp.messages()
    assert message["Subject"] == "【揭榜】会发送的通知" and "正文" in message.get_content()
    assert kept.id is not None


def test_failed_send_is_logged_and_loses_nothing(
    client, session: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _configure(monkeypatch, _free_port())  # nobody listens there
    try:
        with caplog.at_level(logging.ERROR, logger="service.notifications.mail"):
            owner, _, _ = _approve_a_need(client, session)
            OUTBOX.join()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert any("not sent" in r.getMessage() for r in caplog.records)
    assert session.scalar(select(Notification.id).where(Notification.user_id == owner.id)), (
        "the in-app notification stays"
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login(client, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        return AuthResult(success=ok)

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=check,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        _configure(
            monkeypatch,
            controller.port,
            JIEBANG_SMTP_USER="jiebang",
            JIEBANG_SMTP_PASSWORD="s3cret",
        )
        _approve_a_need(client, session)
        assert len(inbox.messages()) == 1
        _configure(
            monkeypatch,
            controller.port,
            JIEBANG_SMTP_USER="jiebang",
            JIEBANG_SMTP_PASSWORD="wrong",
            JIEBANG_SMTP_TIMEOUT_SECONDS="1",  # smtplib's LOGIN retry then waits on aiosmtpd
        )
        _approve_a_need(client, session, email="other@example.com")
        assert len(inbox.messages()) == 1  # refused login: logged, not delivered, no error
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_short_lived_process_sends_before_exiting(smtp: Inbox, repo_root) -> None:
    """`jiebang tick` commits and exits at once: the queued mail still goes out."""
    code = (
        "from service.notifications.mail import OUTBOX, Mail, Staged\n"
        "mail = Mail('zhao@example.cn', '赵工', '【揭榜】截止提醒', '三天后截止')\n"
        "OUTBOX.put([Staged(None, mail)])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEBANG_DATABASE")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root, env=env, timeout=60, check=False
    )
    assert done.returncode == 0
    (message,) = smtp.messages()
    assert (
        message["Subject"] == "【揭榜】截止提醒" and message.get_content().strip() == "三天后截止"
    )


def test_starttls_with_a_private_ca(
    client, session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=server_context,
        require_starttls=True,
    )
    controller.start()
    try:
        _configure(monkeypatch, controller.port)  # plain text: the server refuses the mail
        _approve_a_need(client, session, email="plain@example.com")
        assert inbox.messages() == []
        _configure(
            monkeypatch,
            controller.port,
            JIEBANG_SMTP_STARTTLS="true",
            JIEBANG_SMTP_CA_FILE=str(ca_file),
        )
        _approve_a_need(client, session, email="tls@example.com")
        (message,) = inbox.messages()
        assert inbox.envelopes[0].rcpt_tos == ["tls@example.com"]
        assert message["Subject"].startswith("【揭榜】您的需求")
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()
