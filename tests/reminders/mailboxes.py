"""Mail backends for the reminder tests (named by dotted path in settings.EMAIL_BACKEND).

- RefusingBackend refuses every recipient, as a mail server that rejects them would.
- SpoolBackend writes each message as one file in $MAIL_SPOOL_DIR (atomic rename), after
  waiting $MAIL_SPOOL_DELAY seconds: a worker in another process "sends" mail the test can count,
  slowly enough to be killed in the middle of a run.
"""
import os
import smtplib
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            raise smtplib.SMTPRecipientsRefused({to: (550, b"no such user") for to in message.to})
        return 0


class SpoolBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        spool = Path(os.environ["MAIL_SPOOL_DIR"])
        for message in email_messages:
            time.sleep(float(os.environ.get("MAIL_SPOOL_DELAY", "0")))
            name = uuid.uuid4().hex
            (spool / f".{name}").write_bytes(message.message().as_bytes())
            os.rename(spool / f".{name}", spool / f"{name}.eml")
        return len(email_messages)
