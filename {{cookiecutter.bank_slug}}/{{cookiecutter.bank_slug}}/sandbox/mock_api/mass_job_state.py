"""The mass sends' memory for MASSSENDJOBFINISH: msg_id -> counts and an openid (see mass_jobs.py)."""

import threading
from dataclasses import dataclass

SYSTEM_OPENID = "oMassJobFinishSandbox00000"  # FromUserName when the send reached nobody


@dataclass(frozen=True)
class MassJob:
    total: int  # followers targeted (TotalCount)
    delivered: int  # after the 4-a-month filter (FilterCount)
    openid: str  # FromUserName of the event


class MassJobs:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[int, MassJob] = {}
        self.auto_finish: str | None = None
        self.pushes: list[dict] = []  # what the mock pushed and how the service answered

    def sent(self, msg_id: int, followers: list[str], delivered: list[str]) -> None:
        with self.lock:
            self.jobs[msg_id] = MassJob(len(followers), len(delivered), (delivered or followers or [SYSTEM_OPENID])[0])
