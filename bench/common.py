"""What both benchmarks share: a throw-away PostgreSQL database, Django set up
against it, server processes pinned to a core, and the wrk load client.

Everything talks to 127.0.0.1 only. The database is created at the start and
dropped at the end (also after a failure or Ctrl-C)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SERVER_CORE = "0"
CLIENT_CORE = "1"

# Fixed bench-only secrets (never used anywhere else).
BENCH_ENV = {
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production",
    "PROCUREMENT_PLATFORM_KEY": "YmVuY2gtb25seS1wbGF0Zm9ybS1rZXktMzItYnl0ZXMhIQ==",
    "DJANGO_DEBUG": "0",
    "LOG_LEVEL": "ERROR",
    "PYTHONUNBUFFERED": "1",
    # Every simulated bidder comes from 127.0.0.1: the abuse limits per address
    # (procurement/throttling.py) would refuse a burst of hundreds of bids.
    **{f"THROTTLE_{scope}": "1000000/hour" for scope in (
        "LOGIN_ADDRESS", "LOGIN_USERNAME", "REGISTER_ADDRESS", "REGISTER_USERNAME",
        "BID_ADDRESS", "BID_USER", "QUESTION_ADDRESS", "QUESTION_USER")},
}


def bench_db(name: str) -> str:
    """``bench_<BENCH_DB_PREFIX><name>``: set ``BENCH_DB_PREFIX`` (e.g. ``alice_``)
    so that benchmarks run side by side from several checkouts on one
    PostgreSQL never drop each other's database."""
    prefix = os.environ.get("BENCH_DB_PREFIX", "")
    if not re.fullmatch(r"[a-z0-9_]*", prefix):
        raise SystemExit("BENCH_DB_PREFIX may hold only a-z, 0-9 and _")
    return f"bench_{prefix}{name}"


def log(message: str) -> None:
    print(message, flush=True)


def database_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def _admin():
    import psycopg

    return psycopg.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname="postgres", autocommit=True)


def create_database(name: str) -> None:
    assert name.startswith("bench_"), "the benchmark only ever creates and drops its own bench_* databases"
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    assert name.startswith("bench_")
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(db_name: str, settings_module: str = "procurement.settings", **extra: str) -> dict:
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": database_url(db_name),
           "DJANGO_SETTINGS_MODULE": settings_module, **extra}
    if "REDIS_URL" not in extra:
        env.pop("REDIS_URL", None)  # the in-memory channel layer unless asked
    return env


def django_setup(db_name: str, settings_module: str = "procurement.settings", **extra: str) -> None:
    """Configure Django in this process against the bench database and migrate it."""
    env = server_env(db_name, settings_module, **extra)
    os.environ.clear()
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


def _interrupt(*_):
    raise KeyboardInterrupt


@contextmanager
def bench_database(name: str):
    """Create the database, yield, always drop it."""
    create_database(name)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield name
    finally:
        signal.signal(signal.SIGTERM, previous)
        try:
            close_django_connections()
        except Exception:
            pass
        drop_database(name)
        log(f"(dropped database {name})")


def postgres_url_set(example: str) -> bool:
    """For the in-process benchmarks: DATABASE_URL names a PostgreSQL database
    (or the command says how to set it)."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return True
    print(f"Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/{example}",
          file=sys.stderr)
    return False


@contextmanager
def scratch_copy(suffix: str, *, keepdb: bool = False):
    """Django set up on a throw-away database named after DATABASE_URL's with
    ``_<suffix>``, created and migrated by Django's test-database utilities
    and dropped at the end, also after an error (unless ``keepdb``)."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_{suffix}"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keepdb)
        teardown_test_environment()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(core: str, argv: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", core, *argv]
    log("WARNING: taskset or a second core is missing: server and client are NOT pinned")
    return argv


class Server:
    """A server process on 127.0.0.1:port, pinned to SERVER_CORE; its output
    goes to a log file that is shown if it fails to start."""

    def __init__(self, kind: str, env: dict, port: int | None = None, workers: int = 1,
                 cores: str = SERVER_CORE) -> None:
        self.kind = kind
        self.port = port or free_port()
        self.env = env
        self.log_path = Path(f"/tmp/bench-{kind}-{os.getpid()}-{self.port}.log")
        if kind == "uvicorn":
            argv = [PY, "-m", "uvicorn", "procurement.asgi:application", "--host", "127.0.0.1",
                    "--port", str(self.port), "--workers", str(workers), "--no-access-log", "--log-level", "warning",
                    "--backlog", "4096"]
        elif kind == "gunicorn":
            argv = [PY, "-m", "gunicorn", "procurement.wsgi:application", "--workers", "1",
                    "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                    "--backlog", "4096"]
        else:
            raise ValueError(kind)
        self.argv = pinned(cores, argv)
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/api/receipts/public-key/", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.kind} did not start; its log:\n{self.log_path.read_text()[-3000:]}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server (and its worker processes) used so far."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def get_json(url: str, headers: dict | None = None) -> tuple[int, dict]:
    import json

    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


# --- wrk ----------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, *, seconds: float, connections: int = 8) -> dict:
    """One wrk run (1 thread, keep-alive, pinned to CLIENT_CORE): requests/s,
    p50/p99 latency in ms, and the count of non-2xx answers and socket errors."""
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    argv = pinned(CLIENT_CORE, ["wrk", "-t1", f"-c{connections}", f"-d{int(round(seconds))}s", "--latency",
                                "--timeout", "10s", url])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        result[f"p{pct}"] = _ms(re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(map(int, errors.groups())) if errors else 0
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return result


def median(values: list[float]) -> float:
    return statistics.median(values)
