"""Two web nodes and two workers share the work without doubling it: bench/scaleout.py with a
short load, in the PostgreSQL and Redis pass of the test command (it needs both, nginx and
locust; elsewhere it is skipped with the reason)."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


def missing() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "needs PostgreSQL (the test command's second pass)"
    if not os.environ.get("REDIS_URL"):
        return "needs Redis (REDIS_URL)"
    if not shutil.which("nginx"):
        return "needs nginx (apt-get install nginx-light)"
    if not os.environ.get("LOCUST") and importlib.util.find_spec("locust") is None:
        return "needs locust (requirements-test.lock)"
    return None


@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_two_web_nodes_and_two_workers_do_everything_once():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scaleout.py"), "--seconds", "15", "--users", "6",
         "--json"],
        capture_output=True,
        text=True,
        timeout=400,
    )  # fmt: skip
    assert result.stdout.strip(), result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["problems"] == [], report
    assert result.returncode == 0
    # Work happened on both nodes, and through the kill of one web node and one worker.
    assert report["killed"] == ["web1", "worker1"]
    assert len(report["throttle"]["nodes"]) == 2 and report["throttle"]["an attempt waited"]
    assert report["inbound mail"]["confirmed"] > 0 and report["emails"]["sent"] > 0
    assert report["daily run"]["runs"] == 2
