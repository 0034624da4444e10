"""A real PostgreSQL server for the tests, from Debian's packages (``make team-servers`` installs them when
missing), and nginx in front of several mock servers, as a team would run them (docs/team.md).

Each server lives in a temporary folder of its own: its data, its socket, its log; it listens on loopback on a
free port. ``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user Debian's
package made. It is stopped with ``pg_ctl stop`` and its folder removed, also when the run is interrupted.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kling_lipsync.testing import free_port

__all__ = ["Nginx", "PostgresServer", "postgres_binaries"]

_STARTED: set[PostgresServer] = set()


def postgres_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` with a server in it, or None."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "postgres").exists() and p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
    )
    return found[-1] if found else None


class PostgresServer:
    """``initdb`` and ``pg_ctl start`` in a new folder; ``url(name)`` is a database on it (made on first use)."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.port = free_port()
        # Short: the socket's path must fit in 107 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="kpg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        _STARTED.add(self)
        self.start()
        self._made: set[str] = set()

    def _run(self, tool: str, *args: str, timeout: float = 120) -> str:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
        return done.stdout

    def _options(self) -> str:
        # fsync off: these tests kill the mock's servers, never the machine, and a commit is in PostgreSQL's
        # memory before it answers, which is what they check. 300 connections: servers, workers and their pools.
        return (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=300"
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop (closing every connection of every mock server) and start again, on the same port."""
        self.stop()
        self.start()

    def url(self, database: str) -> str:
        """``postgresql://`` URL of ``database`` on this server, created empty the first time it is named."""
        if database not in self._made:
            self.psql("postgres", f'CREATE DATABASE "{database}"')
            self._made.add(database)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        """Run ``sql`` in ``database``; what psql printed (unaligned, no headers)."""
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-d", database, "-AtX", "-c", sql)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
        _STARTED.discard(self)


@atexit.register
def _stop_all() -> None:
    for server in list(_STARTED):
        server.close()


class Nginx:
    """Debian's nginx on a free loopback port, round-robin over ``upstreams`` (``host:port``), as a team's load
    balancer would be: each new connection to the next server, and a request that cannot reach one retried on
    the next only if it changes nothing (GET, HEAD)."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="knginx-"))
        (self.folder / "logs").mkdir()
        servers = "".join(f"        server {address} max_fails=0;\n" for address in upstreams)
        ours = "".join(line for line in TEAM_NGINX_CONF.splitlines(keepends=True) if "# a host of the team" not in line)
        (self.folder / "nginx.conf").write_text(
            ours.replace("    upstream kling_mock {\n", "    upstream kling_mock {\n" + servers)
            .replace("listen 8080;", f"listen 127.0.0.1:{self.port};")
            .replace("pid /run/nginx-kling-mock.pid;", f"pid {self.folder}/nginx.pid;")
            .replace("error_log stderr;", f"error_log {self.folder}/error.log;")
            .replace("# access_log", f"access_log {self.folder}/access.log; #"),
            encoding="utf-8",
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        done = subprocess.run(
            [binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"nginx did not start: {done.stderr[-1500:]}")

    def stop(self) -> None:
        pid_file = self.folder / "nginx.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), 15)
        shutil.rmtree(self.folder, ignore_errors=True)


#: The nginx configuration of the README's team setup (docs/team-setup.md shows it), upstreams left out.
TEAM_NGINX_CONF = (Path(__file__).resolve().parent.parent / "docs" / "team-nginx.conf").read_text(encoding="utf-8")
