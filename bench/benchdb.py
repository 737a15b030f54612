"""The database a benchmark runs on: a SQLite file, or a PostgreSQL database of its own,
made afresh unless the benchmark reuses what an earlier run filled."""

import os

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def use_database(name: str, *, sqlite: str | None = None, keep: bool = False) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sportello.settings"
    os.environ.pop("REDIS_URL", None)
    if sqlite:
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.unlink(sqlite + suffix)
                except FileNotFoundError:
                    pass
        os.environ["SQLITE_PATH"] = sqlite
        os.environ.pop("DATABASE_URL", None)
        return
    if not keep:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = f"{POSTGRES}/{name}"
