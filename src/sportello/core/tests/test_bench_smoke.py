"""Every benchmark in bench/ runs at a tiny size, on SQLite in the first pass of the test
command and on PostgreSQL in the second: a schema change that breaks a benchmark fails
here instead of on the day someone needs the figures.

The benchmarks copy a migrated template database (bench/benchdb.py), made once per state of
the migrations: the first run after a migration changed pays for one `migrate` per backend.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
BENCH = ROOT / "bench"
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
SUFFIX = f"_smoke{os.getpid()}"

# The arguments of each script's tiny run; "sqlite" scripts take --sqlite FILE in the
# SQLite pass, "postgres" ones run only in the PostgreSQL pass.
SMOKE = {
    "api.py": ("postgres", ["--clients", "20", "--invoices", "40", "--runs", "1"]),
    "billing.py": ("both", ["--processes", "2", "--each", "2"]),
    "helpdesk.py": ("both", ["--tickets", "120", "--messages", "360", "--clients", "20",
                             "--runs", "1", "--depth", "2"]),
    "jobs.py": ("both", ["--services", "30"]),
    # The seed, the clean run and the check of its state; the kill loop is minutes long.
    "jobs_crash.py": ("both", ["--services", "30", "--iterations", "0"]),
    "kb.py": ("both", ["--articles", "30", "--queries", "3"]),
    "mail.py": ("postgres", ["--cost", "--messages", "6", "--clients", "6", "--tickets", "3"]),
    # One pass only: its loopback listeners take fixed ports, and the passes run side by side.
    "monitoring.py": ("postgres", ["--endpoints", "4", "--minutes", "0.05", "--warmup", "2"]),
    "pages.py": ("both", ["--clients", "20", "--runs", "1"]),
    "reports.py": ("both", ["--services", "300", "--invoices", "300", "--tickets", "60",
                            "--openings", "20", "--clients", "10", "--runs", "1"]),
}  # fmt: skip
# Further modes of a script, PostgreSQL pass only, run after the others: they share the
# script's database and Redis. mail.py end to end: the gateway, a worker, delivery.
MODES = [
    ("mail.py", ["--messages", "6", "--clients", "6", "--tickets", "3", "--workers", "1",
                 "--threads", "1", "--senders", "1"]),
]  # fmt: skip
# Not run here, and why.
ELSEWHERE = {
    "benchdb.py": "the benchmarks' database helper, used by every run above",
    "scaleout.py": "run by core/tests/test_scaleout.py in the PostgreSQL pass",
    "scaleout_locust.py": "the load scaleout.py gives locust",
    "install.py": "a fresh clone and install (minutes): its --help is run instead",
}


def test_every_benchmark_has_a_smoke_run():
    scripts = {path.name for path in BENCH.glob("*.py")}
    assert scripts == set(SMOKE) | set(ELSEWHERE), "add the new benchmark to SMOKE"


def runnable() -> list[tuple[str, list[str]]]:
    runs = []
    for script, (backends, arguments) in SMOKE.items():
        if POSTGRES:
            if script == "monitoring.py":
                arguments = [*arguments, "--postgres", "postgresql://postgres@127.0.0.1:5432/"
                             "sportello_bench_monitoring"]  # fmt: skip
            if script == "pages.py":
                arguments = [*arguments, "--postgres"]
            runs.append((script, arguments))
        elif backends == "both":
            runs.append((script, arguments))
    return runs


def redis_answers() -> bool:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001 (no Redis here)
        return False
    return True


def run(script: str, arguments: list[str], folder: Path) -> tuple[str, int, str, float]:
    data = Path(tempfile.mkdtemp(prefix=script.removesuffix(".py") + "-", dir=folder))
    if not POSTGRES and script not in ("monitoring.py",):
        arguments = [*arguments, "--sqlite", str(data / "bench.sqlite3")]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SPORTELLO_DATA_DIR=str(data), BENCH_DATABASE_SUFFIX=SUFFIX, PYTHONUNBUFFERED="1")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        cwd=BENCH,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = (result.stdout + result.stderr)[-4000:]
    return script, result.returncode, output, time.monotonic() - started


def drop_smoke_databases():
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        names = db.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"%{SUFFIX}"]
        ).fetchall()
        for (name,) in names:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_benchmarks_run_at_a_tiny_size(tmp_path):
    runs = runnable()
    if POSTGRES and not redis_answers():
        runs = [(s, a) for s, a in runs if s not in ("mail.py",)]  # mail.py needs Redis
    # Three at a time: most of a tiny run is starting Python and Django, not the machine's
    # cores; the migrated templates are made once, before, under a lock.
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda job: run(*job, tmp_path), runs))
        modes = MODES if POSTGRES and redis_answers() else []
        results += [run(script, arguments, tmp_path) for script, arguments in modes]
    finally:
        if POSTGRES:
            drop_smoke_databases()
        shutil.rmtree(tmp_path, ignore_errors=True)
    failed = [f"{script} (exit {code}):\n{output}" for script, code, output, _ in results if code]
    assert not failed, "\n\n".join(failed)
    times = ", ".join(f"{script} {elapsed:.0f} s" for script, _, _, elapsed in results)
    print(f"bench smoke runs: {times}")


def test_install_benchmark_starts():
    result = subprocess.run(
        [sys.executable, str(BENCH / "install.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
