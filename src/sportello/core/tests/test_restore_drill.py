"""The restore drill of docs/DEPLOYMENT.md, on whichever database the suite runs on: back up
with deploy/backup.sh, restore with deploy/restore.sh into another database and data
directory, and find every row and every file again."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from sportello import testing
from sportello.accounts.models import Client

ROOT = Path(__file__).resolve().parents[4]
DRILL_DB = "sportello_restore_drill"

needs_tools = pytest.mark.skipif(
    connection.vendor == "postgresql" and not shutil.which("pg_restore"),
    reason="pg_dump/pg_restore are not installed",
)


def table_counts(vendor: str, target: str) -> dict[str, int]:
    if vendor == "sqlite":
        with sqlite3.connect(target) as db:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}
    import psycopg

    with psycopg.connect(target) as db:
        names = [
            r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}


def files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@needs_tools
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_row_and_file(tmp_path):
    owner = testing.make_user("drill@example.org")
    Client.objects.create(owner=owner, name="Drill S.r.l.")
    data = tmp_path / "data"
    (data / "media" / "tickets" / "2026").mkdir(parents=True)
    (data / "media" / "tickets" / "2026" / "screenshot.png").write_bytes(os.urandom(4096))
    (data / "secret_key").write_text("k" * 64)
    (data / "mfa_key").write_text("m" * 44)
    (data / "dkim.pem").write_text("-----BEGIN RSA PRIVATE KEY-----\n…\n")
    (data / "cache").mkdir()
    (data / "cache" / "x.djcache").write_text("made again")

    settings_dict = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"SQLITE_PATH", "DATABASE_URL"}}
    env["SPORTELLO_PYTHON"] = sys.executable
    env["SPORTELLO"] = f"{sys.executable} -m sportello.cli"
    if connection.vendor == "sqlite":
        source = {"SQLITE_PATH": settings_dict["NAME"]}
        restored_db = str(tmp_path / "restored.sqlite3")
        target = {"SQLITE_PATH": restored_db}
        source_target, restored_target = settings_dict["NAME"], restored_db
    else:
        import psycopg

        server = (
            f"postgresql://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        )
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DRILL_DB}")
            admin.execute(f"CREATE DATABASE {DRILL_DB}")
        source_target = f"{server}/{settings_dict['NAME']}"
        restored_target = f"{server}/{DRILL_DB}"
        source, target = {"DATABASE_URL": source_target}, {"DATABASE_URL": restored_target}

    backup = tmp_path / "backup"
    subprocess.run(
        [ROOT / "deploy" / "backup.sh", backup],
        check=True,
        capture_output=True,
        env={**env, **source, "SPORTELLO_DATA_DIR": str(data)},
    )
    assert sorted(p.name for p in backup.iterdir()) == sorted(
        [
            "SHA256SUMS",
            "files.tar.gz",
            "database.sqlite3" if connection.vendor == "sqlite" else "database.dump",
        ]
    )

    restored = tmp_path / "restored"
    result = subprocess.run(
        [ROOT / "deploy" / "restore.sh", backup],
        capture_output=True,
        text=True,
        env={**env, **target, "SPORTELLO_DATA_DIR": str(restored)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"restored from {backup}")

    expected = table_counts(connection.vendor, source_target)
    assert expected["accounts_client"] >= 1
    assert table_counts(connection.vendor, restored_target) == expected
    kept = {k: v for k, v in files(data).items() if not k.startswith("cache/")}
    # What the restored install makes again by itself: its queue (and SQLite database file).
    found = {k: v for k, v in files(restored).items() if not k.endswith(".sqlite3")}
    assert found == kept
    assert (restored / "media").stat().st_mode & 0o077 == 0

    # A damaged backup is refused before anything is touched.
    (backup / "files.tar.gz").write_bytes(b"damaged")
    again = subprocess.run(
        [ROOT / "deploy" / "restore.sh", backup],
        capture_output=True,
        text=True,
        env={**env, **target, "SPORTELLO_DATA_DIR": str(restored)},
    )
    assert again.returncode != 0 and "FAILED" in again.stdout + again.stderr
    if connection.vendor == "postgresql":
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DRILL_DB} WITH (FORCE)")
