"""Errors the WeChat endpoint turns into 4xx answers with a reason, never a 500."""


class RejectedRequest(Exception):
    """The request is refused; `status` is the HTTP status, `reason` what the caller is told."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason
