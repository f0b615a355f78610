"""Alert e-mails: one short message per user and run, through the configured SMTP server.

The body holds a count and a link, nothing else: no name, no id, no agency. An e-mail
leaves MAST's access rules, audit and retention behind and may be read on any device, so
what it says must be safe for anyone who sees it; the recipient signs in (and states a
purpose) to read the alerts, which is audited as any page. English and Welsh, as the
recipient's language is not known here.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa

from mast.core.settings import Settings
from mast.daily import alerts
from mast.text import i18n
from mast.text.i18n import ENGLISH, WELSH

log = logging.getLogger(__name__)
TIMEOUT_S = 30.0


def _in(language: str, n: int, link: str) -> tuple[str, str]:
    """The subject and body in one language."""
    words = i18n.catalogue(language)
    subject = words.gettext("MAST: new alerts on your watch list")
    body = words.ngettext(
        "There is %(n)s new alert on your watch list in MAST.",
        "There are %(n)s new alerts on your watch list in MAST.",
        n,
    ) % {"n": n}
    sign_in = words.gettext("Sign in to read them: %(link)s") % {"link": link}
    return subject, f"{body}\n{sign_in}\n"


def message(settings: Settings, to: str, n: int) -> EmailMessage:
    link = (
        f"{settings.public_url.rstrip('/')}/watching" if settings.public_url else "MAST → Watching"
    )
    english, welsh = _in(ENGLISH, n, link), _in(WELSH, n, link)
    mail = EmailMessage()
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Subject"] = f"{english[0]} / {welsh[0]}"
    mail.set_content(f"{english[1]}\n{welsh[1]}")
    return mail


def send_alerts(engine: sa.Engine, settings: Settings, *, now: datetime) -> dict[str, int]:
    """E-mail each user with unread, un-e-mailed alerts and an address; a failure leaves
    their alerts to the next run (and they are on the watching page meanwhile)."""
    if not settings.smtp_host:
        return {"emails_sent": 0, "emails_failed": 0}
    sent = failed = 0
    for username, to, ids in alerts.to_email(engine):
        try:
            _send(settings, message(settings, to, len(ids)))
        except (OSError, smtplib.SMTPException) as e:
            # The type only: the server's reply can quote the address.
            log.warning(
                "alerts: an e-mail was not sent (%s); it is tried again next run", type(e).__name__
            )
            failed += 1
            continue
        alerts.mark_emailed(engine, ids, now=now)
        sent += 1
        log.debug("alerts: e-mailed user %s", username)
    return {"emails_sent": sent, "emails_failed": failed}


def _send(settings: Settings, mail: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        smtp.send_message(mail)
