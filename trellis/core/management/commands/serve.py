"""Serve web pages, websockets and the background worker together (for `make run`)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve HTTP and websockets with uvicorn and run the task worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="ASGI worker processes.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start db_worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        worker: subprocess.Popen[bytes] | None = None
        if not options["no_worker"] and "django_tasks_db" in settings.TASKS["default"]["BACKEND"]:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--queue-name", "*"],
            )
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Trellis is serving on http://{options['host']}:{options['port']} "
                "(Ctrl+C to stop)."
            )
        )
        try:
            uvicorn.run(
                "config.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                lifespan="off",
                log_level="info",
                proxy_headers=True,
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
