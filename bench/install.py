"""From `git clone` to the first page: how long `./scripts/start` takes on a fresh clone
until the login page answers, and where that time goes.

    python3 bench/install.py            # warm: the package caches as the last run left them
    python3 bench/install.py --cold     # uv's and pip's caches emptied, uv's bootstrap deleted
    SPORTELLO_NO_UV=1 python3 bench/install.py   # the plain venv + pip path

It clones the committed tree of --repo (default: this checkout) into --dir, runs
`scripts/start --port P` there with each command's start time traced, polls
/accounts/login/ until it answers 200, stops the server and prints the phases: clone,
install (venv and locked packages, Sportello itself, the system-library check), translations,
migrate, seeddemo, and serve (collectstatic, gunicorn and the worker up to the first page).
"""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The traced command that opens each phase, in order; a phase lasts until the next begins.
PHASES = [
    ("translations", re.compile(r"pybabel compile")),
    ("migrate", re.compile(r"sportello migrate")),
    ("seeddemo", re.compile(r"sportello seeddemo")),
    ("static wait", re.compile(r"^wait ")),
    ("serve", re.compile(r"sportello serve(?! --collect-only)")),
]
TRACE = re.compile(r"^\++ (\d+\.\d+) (.*)$")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def empty_caches() -> None:
    uv_home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sportello"
    uv = uv_home / "uv" / "bin" / "uv"
    if uv.exists():
        subprocess.run([str(uv), "cache", "clean"], check=False, capture_output=True)
    elif shutil.which("uv"):
        subprocess.run(["uv", "cache", "clean"], check=False, capture_output=True)
    subprocess.run([sys.executable, "-m", "pip", "cache", "purge"], capture_output=True)
    shutil.rmtree(uv_home / "uv", ignore_errors=True)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--repo", default=str(REPO))
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "sportello-fresh"))
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    if args.cold:
        empty_caches()
    target = Path(args.dir)
    shutil.rmtree(target, ignore_errors=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/accounts/login/"
    trace_setup = Path(tempfile.mkstemp(suffix=".sh")[1])
    # Every command bash runs is written to stderr with its start time.
    trace_setup.write_text("PS4='+ ${EPOCHREALTIME} '\nset -x\n")
    log = target.with_suffix(".log")

    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    subprocess.run(["git", "clone", "-q", args.repo, str(target)], check=True)
    cloned = time.time()
    with open(log, "w") as out:
        server = subprocess.Popen(
            ["bash", "scripts/start", "--port", str(port)],
            cwd=target,
            env={**os.environ, "BASH_ENV": str(trace_setup)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while not answers(url):
                if server.poll() is not None:
                    sys.exit(f"scripts/start exited with {server.returncode}; see {log}")
                if time.time() - started > args.timeout:
                    sys.exit(f"no page after {args.timeout:.0f} s; see {log}")
                time.sleep(0.2)
            first_page = time.time()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    trace_setup.unlink()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("ru_utime", "ru_stime"))

    opened = {}
    for line in log.read_text(errors="replace").splitlines():
        if match := TRACE.match(line):
            for name, pattern in PHASES:
                if name not in opened and pattern.search(match[2]):
                    opened[name] = float(match[1])
    bounds = [("clone", started), ("install", cloned)]
    bounds += [(name, opened[name]) for name, _pattern in PHASES if name in opened]
    bounds.append(("", first_page))
    print(f"{'cold' if args.cold else 'warm'}: first page {first_page - started:.1f} s")
    for (name, begin), (_next, end) in zip(bounds, bounds[1:], strict=False):
        print(f"  {name:<13}{end - begin:6.1f} s")
    # Two cores shared with whatever else runs: the CPU seconds say more than the wall clock
    # when the box is busy.
    print(f"  CPU, all processes: {cpu:.1f} s; load average {os.getloadavg()[0]:.2f}; log {log}")


if __name__ == "__main__":
    main()
