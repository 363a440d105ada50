"""``pillars worker``: the periodic sweeps (escalations, ...) and the queued background tasks.

Each loop runs every app's sweeps (the ``SWEEPS`` list of an app's ``sweeps`` module), then the
queued tasks (Django Tasks, database backend), then sleeps a bounded interval. Sweeps claim their
rows with compare-and-set updates, so any number of workers may run at once. A sweep that raises
is logged and the loop goes on. SIGTERM or Ctrl-C stops the worker after the current step.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django.utils.module_loading import module_has_submodule

from pillars.core import clock, context

logger = logging.getLogger("pillars.worker")

Sweep = Callable[[datetime], object]


def registered_sweeps() -> list[Sweep]:
    """Every installed app's ``sweeps.SWEEPS``, in app order (core names no domain app)."""
    found: list[Sweep] = []
    for config in apps.get_app_configs():
        if config.module is not None and module_has_submodule(config.module, "sweeps"):
            module = importlib.import_module(f"{config.name}.sweeps")
            found.extend(getattr(module, "SWEEPS", []))
    return found


def run_sweeps(now: datetime | None = None, sweeps: list[Sweep] | None = None) -> list[object]:
    """Run each sweep once; one that raises is logged and does not stop the others."""
    results: list[object] = []
    for sweep in sweeps if sweeps is not None else registered_sweeps():
        try:
            results.append(sweep(now or clock.now()))
        except Exception:
            logger.exception("sweep %s failed", getattr(sweep, "__name__", sweep))
            results.append(None)
        finally:
            # As between requests: drop a connection the database closed (never inside a
            # caller's transaction, as in a test).
            if not connection.in_atomic_block:
                close_old_connections()
    return results


def run_queued_tasks(stop: threading.Event) -> None:
    """Run what is queued now (Django Tasks' database backend), then return."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    if stop.is_set():
        return
    worker.run()


class Command(BaseCommand):
    help = "Run the background worker: periodic sweeps (escalations) and queued tasks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run one loop, then exit")
        parser.add_argument(
            "--batch", action="store_true", help="the same as --once (kept for old scripts)"
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="seconds to sleep between loops (0.5 to 60; default 5)",
        )
        parser.add_argument("--no-tasks", action="store_true", help="run the sweeps only")

    def handle(self, *args: Any, **options: Any) -> None:
        once = options["once"] or options["batch"]
        # Bounded: a typo must neither spin the database nor leave escalations for an hour.
        interval = min(max(float(options["interval"]), 0.5), 60.0)
        stop = threading.Event()
        if not once and threading.current_thread() is threading.main_thread():

            def request_stop(signum: int, _frame: Any) -> None:
                logger.info("worker: %s received, stopping", signal.strsignal(signum))
                stop.set()

            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
        token = context.use(context.RequestContext(channel="worker"))
        sweeps = registered_sweeps()
        try:
            while not stop.is_set():
                for result in run_sweeps(sweeps=sweeps):
                    if result is not None and options["verbosity"] > 1:
                        self.stdout.write(str(result))
                if not options["no_tasks"]:
                    run_queued_tasks(stop)
                if once:
                    break
                stop.wait(interval)
        finally:
            context.reset(token)
        if not once:
            self.stdout.write("worker stopped.")
