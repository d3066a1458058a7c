"""Backups and restores of the site's database: `flask --app app backup PATH` and `flask --app app restore PATH`.

SQLite: SQLite's online backup API, both ways. A backup is a consistent snapshot taken while the site keeps
writing; a restore copies the backup's pages into the live database file inside one write transaction, so no
connection ever sees half of it. PostgreSQL: pg_dump's custom format, and pg_restore in a single transaction.
After a restore the schema is migrated to this version of the site, so a backup from an older version works.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupProblem(Exception):
    """A backup or restore that cannot be done; the message says why, in plain words."""


def backup(url: URL, path: Path) -> None:
    if url.get_backend_name() == "sqlite":
        backup_sqlite(url.database, path)
    elif url.get_backend_name() == "postgresql":
        backup_postgres(url, path)
    else:
        raise BackupProblem(f"backups of {url.get_backend_name()} are not supported")


def restore(url: URL, path: Path) -> None:
    if url.get_backend_name() == "sqlite":
        restore_sqlite(path, url.database)
    elif url.get_backend_name() == "postgresql":
        restore_postgres(path, url)
    else:
        raise BackupProblem(f"restores of {url.get_backend_name()} are not supported")


def backup_sqlite(database: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")  # a crash half-way never leaves a file that looks finished
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    partial.replace(path)


def restore_sqlite(path: Path, database: str) -> None:
    if header(path, len(SQLITE_HEADER)) != SQLITE_HEADER:
        raise BackupProblem(f"{path} is not an SQLite backup")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in source.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupProblem(f"{path} is damaged: {'; '.join(problems[:5])}")
        if not source.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            raise BackupProblem(f"{path} is not a backup of this site (it has no migration version)")
        target = sqlite3.connect(database, timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def backup_postgres(url: URL, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    run_client("pg_dump", "--format=custom", f"--file={path}", plain(url))


def restore_postgres(path: Path, url: URL) -> None:
    if header(path, len(PG_DUMP_HEADER)) != PG_DUMP_HEADER:
        raise BackupProblem(f"{path} is not a pg_dump backup (custom format)")
    # --clean --if-exists drops what the backup holds first; one transaction: all of it or nothing.
    run_client("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
               f"--dbname={plain(url)}", str(path))


def run_client(program: str, *arguments: str) -> None:
    if shutil.which(program) is None:
        raise BackupProblem(f"{program} is not installed; install the PostgreSQL client tools")
    finished = subprocess.run([program, *arguments], capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupProblem(f"{program} failed: {finished.stderr.strip()}")


def plain(url: URL) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def header(path: Path, size: int) -> bytes:
    with path.open("rb") as stream:
        return stream.read(size)
