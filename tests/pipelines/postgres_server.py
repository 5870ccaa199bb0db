"""A throwaway PostgreSQL server on loopback for tests of the team deployment's instance (config/deploy/dagster.yaml).

Debian's ``postgresql`` package (server binaries under /usr/lib/postgresql/<major>/bin) is started with its own data
folder in a temporary directory, listening on 127.0.0.1 only, on a free port, with its unix socket in that folder
too, and one database and password user made for the test. ``initdb`` refuses to run as root, so when the tests run
as root the server runs as the OS user ``postgres`` (which the package creates), in a folder that user owns.

.ci/run installs the package in the background when it is missing and writes apt-get's exit code to
``SDOH_APT_READY_FILE``; :func:`server_binaries` waits for that file, so CI never waits for apt-get up front.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ci_installs import APT_READY_ENV, wait_ready_file

INITDB_GLOB = "/usr/lib/postgresql/*/bin/initdb"
APT_WAIT_SECONDS = 900  # apt-get installs chromium and postgresql together; a loaded CI machine takes minutes
START_SECONDS = 60


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    db_name: str

    def env(self) -> dict[str, str]:
        """The DAGSTER_PG_* variables config/deploy/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db_name,
        }

    def connect(self):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.db_name
        )


def server_binaries() -> Path:
    """The newest installed PostgreSQL server's bin folder; fails (in CI) or skips (elsewhere) naming the fix."""
    wait_ready_file(APT_READY_ENV, "the tests' Debian packages (apt-get)", APT_WAIT_SECONDS)
    found = sorted(glob.glob(INITDB_GLOB), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    message = (
        f"PostgreSQL server binaries are missing ({INITDB_GLOB}): the Postgres instance test needs a real server. "
        ".ci/run installs Debian's postgresql package; elsewhere: apt-get install postgresql"
    )
    if os.environ.get("CI") or os.environ.get(APT_READY_ENV):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse root: run them as the OS user ``postgres`` when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    subprocess.run(_as_server_user(command), check=True, capture_output=True, text=True)


@contextmanager
def running_postgres(db_name: str = "dagster", user: str = "dagster") -> Iterator[PostgresServer]:
    """Start a PostgreSQL server on 127.0.0.1 with password login for ``user`` and a database ``db_name``; stop it
    and remove its folder afterwards."""
    bin_dir = server_binaries()
    # Not under pytest's temporary folder: that is private to root (0700), and the server may run as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="sdoh-pg-"))
    data, log, pwfile = root / "data", root / "server.log", root / "pwfile"
    password = secrets.token_hex(16)
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        import pwd

        owner = pwd.getpwnam("postgres")
        for path in (root, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    # Loopback only; the socket in the test's folder, not /var/run/postgresql; durability off (a throwaway server).
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    started = False
    try:
        try:
            initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}"]
            _run([*initdb, "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync"])
            pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options]
            _run([*pg_ctl, "-w", "-t", str(START_SECONDS), "start"])
        except subprocess.CalledProcessError as failed:
            tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
            pytest.fail(f"PostgreSQL did not start: {failed.cmd}: {failed.stderr or failed.stdout}\n{tail}")
        started = True
        admin = PostgresServer("127.0.0.1", port, user, password, "postgres").connect()
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'create database "{db_name}"')
        admin.close()
        yield PostgresServer("127.0.0.1", port, user, password, db_name)
    finally:
        if started:
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)
