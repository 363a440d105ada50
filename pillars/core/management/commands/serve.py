"""``pillars serve``: the web server and the background worker together."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from pillars.core import banner

# The access log's format: paths without their query strings (gunicorn.conf.py says why).
GUNICORN_CONFIG = settings.BASE_DIR / "gunicorn.conf.py"


def web_command(host: str, port: int, workers: int) -> list[str]:
    """The gunicorn that serves Pillars, with its access log on standard output."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "pillars.wsgi:application",
        "--config",
        str(GUNICORN_CONFIG),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "5",
    ]


class Command(BaseCommand):
    help = (
        "Serve Pillars with gunicorn and run the background worker beside it. "
        "Ctrl-C (or SIGTERM) stops both."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
        parser.add_argument("--no-worker", action="store_true", help="do not start the worker")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        web = web_command(host, port, options["web_workers"])
        worker = [sys.executable, "-m", "pillars.manage", "worker"]
        commands = [("web", web)] + ([] if options["no_worker"] else [("worker", worker)])
        procs = [(name, subprocess.Popen(cmd)) for name, cmd in commands]  # noqa: S603
        self._banner(host, port)
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                for name, proc in procs:
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} stopped (exit {proc.returncode}); stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for _, proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for _, proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("Pillars stopped.")

    def _banner(self, host: str, port: int) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nPillars is serving on http://{host}:{port}/"))
        # The demo app, installed in demo mode only, registers its sign-ins here.
        for line in banner.lines():
            self.stdout.write(line)
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")
