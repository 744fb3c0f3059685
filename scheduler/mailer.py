"""Sending email over SMTP (smtplib), configured by CALLBOARD_SMTP_* settings:
host, port, security (none / starttls / ssl), user + password (login when user is set),
sender. ``send`` raises ``MailError`` with a readable reason on any failure, so the
runner can record it and retry with backoff."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from callboard.core.settings import Settings, get_settings

TIMEOUT_S = 30


class MailError(RuntimeError):
    pass


def build_message(*, to: list[str], subject: str, text: str, html: str | None = None,
                  attachment: tuple[str, str, bytes] | None = None, sender: str | None = None) -> EmailMessage:
    """attachment: (filename, mimetype, content)."""
    msg = EmailMessage()
    msg["From"] = sender or get_settings().smtp_sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="callboard")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    if attachment:
        name, mimetype, content = attachment
        maintype, _sep, subtype = mimetype.split(";")[0].strip().partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return msg


def send(msg: EmailMessage, settings: Settings | None = None) -> None:
    cfg = settings or get_settings()
    try:
        if cfg.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=TIMEOUT_S,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=TIMEOUT_S)
        with client:
            if cfg.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if cfg.smtp_user:
                client.login(cfg.smtp_user, cfg.smtp_password)
            refused = client.send_message(msg)
        if refused:
            raise MailError("recipients refused: " + ", ".join(f"{a} ({c} {m!r})" for a, (c, m) in refused.items()))
    except MailError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {cfg.smtp_host}:{cfg.smtp_port} ({cfg.smtp_security}): "
                        f"{exc.__class__.__name__}: {exc}") from exc
