"""A mail backend for a real worker under test: each mail takes a while, then is written to a file
(one file per mail holding its recipients), so that a test can kill the worker mid-send and count
what was really handed over. Set EMAIL_BACKEND=tests.rounds.slow_mail.SlowFileBackend,
SLOW_MAIL_DIR and SLOW_MAIL_SECONDS in the worker's environment."""
import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(os.environ["SLOW_MAIL_DIR"])
        for message in email_messages:
            time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "0.3")))  # the mail server's hand-off
            (folder / f"{uuid.uuid4().hex}.txt").write_text("\n".join(message.to))
        return len(email_messages)
