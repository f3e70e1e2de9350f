"""The template sends' memory: client_msg_id de-duplication and msgid -> openid (see template_jobs.py)."""

import threading

CLIENT_MSG_ID_SECONDS = 600  # "10分钟有效"
MAX_CLIENT_MSG_ID_CHARS = 64


class TemplateJobs:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: dict[tuple[str, str], tuple[int, float]] = {}  # (openid, client_msg_id) -> (msgid, when)
        self.openids: dict[int, str] = {}  # msgid -> openid, for the event
        self.auto_finish: str | None = None
        self.pushes: list[dict] = []  # what the mock pushed and how the service answered

    def repeat_of(self, openid: str, client_msg_id: str | None, now: float) -> int | None:
        """The msgid of the same send within 10 minutes, or None (then the caller sends and calls `sent_as`)."""
        if not client_msg_id:
            return None
        with self.lock:
            found = self.sent.get((openid, client_msg_id))
            return found[0] if found is not None and now - found[1] < CLIENT_MSG_ID_SECONDS else None

    def sent_as(self, openid: str, client_msg_id: str | None, msgid: int, now: float) -> None:
        with self.lock:
            self.openids[msgid] = openid
            if client_msg_id:
                self.sent[(openid, client_msg_id)] = (msgid, now)
