"""bench/protocol_floor.py: the floor of one encrypted push, step by step, beside the bare app and the service.

docs/benchmarks.md argues from its figures, so it must run the service's own steps on real pushes: every push
decrypted, parsed, claimed once and answered with an encrypted reply, or it stops with an error."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
STEPS = ("request signature", "outer XML", "msg_signature + AES decrypt", "inner XML + checks",
         "de-dup claim (INSERT, commit)", "reply XML", "reply AES encrypt + signature")


def test_the_floor_bench_runs_every_step_and_prints_the_bound():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(PROJECT), str(PROJECT / "bench"))))
    done = subprocess.run([sys.executable, "bench/protocol_floor.py", "--messages", "20"], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for step in STEPS:
        assert f"floor: {step}" in out
    assert "bare Flask request" in out and "service (/wechat, whole)" in out
    assert "best ratio in one process" in out
