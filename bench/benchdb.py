"""The database a benchmark runs on: a SQLite file, or a PostgreSQL database of its own,
made afresh unless the benchmark reuses what an earlier run filled.

A fresh database is a copy of a migrated template kept per state of the migrations (and of
the locked packages, whose apps have migrations too): migrating from nothing takes tens of
seconds, a copy a fraction of one. The template is made once, the first time a benchmark
needs it after a migration changed; the smoke runs of the test suite rely on that.
"""

import contextlib
import fcntl
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = Path(tempfile.gettempdir()) / "sportello-bench-templates"


def schema_key() -> str:
    """Changes whenever a migration or a locked package does."""
    digest = hashlib.sha256()
    files = sorted((ROOT / "src" / "sportello").glob("*/migrations/*.py"))
    for path in [*files, ROOT / "requirements.lock"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _locked(name: str):
    """One process builds a template; the others wait for it instead of building twice."""
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATES / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _migrate(env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "migrate", "--noinput", "-v", "0"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sportello.settings", **env},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"migrating the benchmark template failed:\n{result.stderr[-3000:]}")


def _environment(**values: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env.pop("REDIS_URL", None)
    return {**env, **values}


def sqlite_template() -> Path:
    """A migrated SQLite file for the current schema."""
    path = TEMPLATES / f"template-{schema_key()}.sqlite3"
    with _locked("sqlite"):
        if not path.exists():
            building = path.with_suffix(".building")
            for suffix in ("", "-wal", "-shm"):
                Path(str(building) + suffix).unlink(missing_ok=True)
            _migrate(_environment(SQLITE_PATH=str(building)))
            with contextlib.closing(sqlite3.connect(building)) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            os.replace(building, path)
            for old in TEMPLATES.glob("template-*.sqlite3"):
                if old != path:
                    old.unlink(missing_ok=True)
    return path


def copy_sqlite(target: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(target + suffix).unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(sqlite_template())) as source:
        with contextlib.closing(sqlite3.connect(target)) as copy:
            source.backup(copy)


def _admin(sql: str) -> list:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def postgres_template() -> str:
    """A migrated PostgreSQL database for the current schema, used only as a template."""
    name = f"sportello_bench_template_{schema_key()}"
    with _locked("postgres"):
        if not _admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            building = f"{name}_building"
            _admin(f"DROP DATABASE IF EXISTS {building}")
            _admin(f"CREATE DATABASE {building}")
            _migrate(_environment(DATABASE_URL=f"{POSTGRES}/{building}"))
            _admin(f"ALTER DATABASE {building} RENAME TO {name}")
            pattern = "sportello\\_bench\\_template\\_%"
            for (old,) in _admin(f"SELECT datname FROM pg_database WHERE datname LIKE '{pattern}'"):
                if old != name:
                    _admin(f"DROP DATABASE IF EXISTS {old}")
    return name


def database_name(name: str) -> str:
    """The test suite's smoke runs add a suffix, so they never drop a benchmark's data."""
    return name + os.environ.get("BENCH_DATABASE_SUFFIX", "")


def copy_postgres(target: str) -> None:
    target = database_name(target)
    template = postgres_template()
    _admin(f"DROP DATABASE IF EXISTS {target}")
    _admin(f"CREATE DATABASE {target} TEMPLATE {template}")


def use_database(name: str, *, sqlite: str | None = None, keep: bool = False) -> None:
    """Point this process (and what it starts) at the benchmark's database, a fresh copy of
    the migrated template unless `keep`."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "sportello.settings"
    os.environ.pop("REDIS_URL", None)
    if sqlite:
        if not keep:
            copy_sqlite(sqlite)
        os.environ["SQLITE_PATH"] = sqlite
        os.environ.pop("DATABASE_URL", None)
        return
    if not keep:
        copy_postgres(name)
    os.environ["DATABASE_URL"] = f"{POSTGRES}/{database_name(name)}"


def collected_static() -> None:
    """Pages render with the manifest storage, as in production, which needs collectstatic:
    the files are collected once per state of the sources into a folder kept for it."""
    digest = hashlib.sha256()
    sources = sorted(p for p in (ROOT / "src" / "sportello").glob("*/static/**/*") if p.is_file())
    for path in [*sources, ROOT / "requirements.lock"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    folder = TEMPLATES / f"static-{digest.hexdigest()[:12]}"
    os.environ["STATIC_ROOT"] = str(folder)
    with _locked("static"):
        if (folder / "staticfiles.json").exists():
            return
        result = subprocess.run(
            [sys.executable, "-m", "sportello.cli", "collectstatic", "--noinput", "-v", "0"],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "sportello.settings"},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.exit(f"collectstatic failed:\n{result.stderr[-3000:]}")
        for old in TEMPLATES.glob("static-*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
