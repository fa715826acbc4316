"""The daily bulk file: every published tender's releases, one release
package per line (JSON lines), gzipped, for people who download everything.
``manage.py ocds_bulk`` (run daily, e.g. from cron) writes it; the API
serves the newest at ``/api/ocds/bulk/latest.jsonl.gz``."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from . import ocds

FILENAME = "ocds-releases.jsonl.gz"


def ocds_bulk_path() -> Path:
    return Path(settings.PROCUREMENT_OCDS_BULK_DIR) / FILENAME


def write(path: Path | None = None) -> tuple[Path, int]:
    """Write the file (streamed: a chunk of tenders at a time) and replace the
    previous one atomically. Returns its path and the number of tenders."""
    path = path or ocds_bulk_path()
    uri = f"{settings.PROCUREMENT_PUBLIC_URL}/api/ocds/bulk/latest.jsonl.gz"
    return path, ocds.write_bulk_file(path, uri=uri)
