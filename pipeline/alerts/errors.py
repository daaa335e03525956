"""Why an alert was not delivered, in the words the outbox records (`AlertFailed`)."""

from __future__ import annotations


class SendError(Exception):
    """A delivery refused or failed: its class (smtp_5xx, http_4xx, connect...), what the
    server said, and whether a later run should try again."""

    def __init__(self, error_class: str, detail: str, retryable: bool):
        super().__init__(f"{error_class}: {detail}")
        self.error_class, self.detail, self.retryable = error_class, detail, retryable
