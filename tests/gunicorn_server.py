"""The shop under gunicorn (gunicorn.conf.py, as in production) on a free local port, over the
test's database, for fault tests that kill its workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, database_url: str, workdir: Path, workers: int = 2, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": "4",
            "GUNICORN_ACCESSLOG": "/dev/null",
            "RATELIMIT_ENABLED": "false",
            "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
            "UPLOAD_DIR": str(workdir / "uploads"),
            "PUBLIC_BASE_URL": self.url,
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self.wait_healthy()
        except AssertionError:
            self.stop()
            raise
        return self

    def wait_healthy(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer: {self.log.read_text()[-2000:]}")

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill_workers(self, count: int | None = None) -> list[int]:
        """SIGKILL `count` workers (all by default): no cleanup, no finished response."""
        killed = self.workers()[:count]
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed

    def stop(self) -> None:
        """Kill the master, then its workers: a test server has nothing to finish."""
        if self.process is None or self.process.poll() is not None:
            return
        workers = self.workers()
        self.process.kill()
        self.process.wait()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
