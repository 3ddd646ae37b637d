"""Notification email through a real SMTP server on loopback (aiosmtpd) and Django's SMTP backend."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from notifications import services
from notifications.models import EmailStatus

pytestmark = [pytest.mark.django_db, pytest.mark.requirement("QMS-NOTIFICATION-EMAIL")]


class Collect(Sink):
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    handler = Collect()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "qms@example.com"
    yield handler
    controller.stop()


def test_an_urgent_notification_reaches_a_real_smtp_server(smtp_server, admin_user, after_commit, settings):
    settings.SITE_URL = "https://qms.example.com"
    with after_commit():
        [notification] = services.notify(
            recipients=[admin_user],
            type="security_alert",
            priority="urgent",
            title="Repeated failed attempts on account 'victim'",
            body="5 failed sign-ins within 60 minutes.",
            link="/audit/",
            record=("user", 3),
        )

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.mail_from == "qms@example.com" and envelope.rcpt_tos == [admin_user.email]
    content = envelope.content.decode()
    assert "Subject: [QMS] URGENT: Repeated failed attempts on account 'victim'" in content
    assert "https://qms.example.com/audit/" in content
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
