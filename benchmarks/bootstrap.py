"""Start Django for a benchmark on a throwaway SQLite database file.

Import this module before anything from Django or Trellis: it sets the environment the
settings read, points DATABASE_URL at a temporary file and applies the migrations.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

_directory = tempfile.mkdtemp(prefix="trellis-benchmark-")
atexit.register(shutil.rmtree, _directory, ignore_errors=True)
DATABASE_FILE = Path(_directory) / "benchmark.sqlite3"

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE_FILE}"
os.environ.setdefault("DEBUG", "true")
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
# Keep the benchmark off any Redis or mail server configured for development.
os.environ["REDIS_URL"] = ""
os.environ["EMAIL_URL"] = "consolemail://"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()


def migrate() -> float:
    """Create the schema; return the seconds it took."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [headers, *[[str(value) for value in row] for row in rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if index else value.ljust(width)
            for index, (value, width) in enumerate(zip(row, widths, strict=True))
        )

    print(line(cells[0]))
    print("  ".join("-" * width for width in widths))
    for row in cells[1:]:
        print(line(row))
