"""A throw-away PostgreSQL cluster on loopback for the store tests: initdb, pg_ctl, a free port.

The server is Debian's ``postgresql`` package (``make test`` installs it). initdb refuses
to run as root, so under root the cluster belongs to the ``postgres`` user. fsync is off:
the cluster dies with the test session, so flushing to disk would only cost time. Commits
stay synchronous, so a killed server (the fault tests) loses nothing it acknowledged.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

SUPERUSER = "sopdraft"


def find_bin(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, else in Debian's versioned folder (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


class PgCluster:
    """A running cluster; :meth:`create_database` gives each test its own database."""

    def __init__(self) -> None:
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if not (initdb and pg_ctl):
            raise FileNotFoundError("PostgreSQL server programs (initdb, pg_ctl) not found: run `make pg-deps` "
                                    "(installs Debian's postgresql package)")
        self.pg_ctl = pg_ctl
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="sopdraft-pg-", dir="/tmp"))
        self.data = self.root / "data"
        from tests.support.net import free_port

        self.port = free_port()
        if self.run_as:
            shutil.chown(self.root, self.run_as)
        self._run([initdb, "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        self.start()

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(args, capture_output=True, text=True, user=self.run_as, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        """A URL for ``database`` on this cluster."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        """A new, empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (closing whatever is still connected)."""
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (the data stays until :meth:`close`)."""
        subprocess.run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"], capture_output=True,
                       user=self.run_as, timeout=120)

    def start(self) -> None:
        """Start the server (again, after :meth:`stop`) on this cluster's port."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        self._run([self.pg_ctl, "-D", str(self.data), "-o", options, "-w", "-t", "60",
                   "-l", str(self.root / "server.log"), "start"])

    def close(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
