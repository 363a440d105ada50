"""Where the export reads and writes: the one place that names a database alias and a folder.

Reports read from the replica when one is configured (``DATABASE_REPLICA_URL`` gives the
``replica`` alias); the export's job row, consents and the audit log stay on the primary. The
files go under the data directory (``DATA_DIR/exports/fhir/<job>``) unless ``FHIR_EXPORT_DIR``
names another folder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from pillars.core import replica


def read_alias(user: Any = None) -> str:
    """The database alias every read of an export goes through: the replica when
    ``core.replica`` trusts it for this requester (configured, answering, not too far behind,
    and holding their own latest write), else the primary."""
    return replica.choose(user).alias


def export_root() -> Path:
    configured = getattr(settings, "FHIR_EXPORT_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "exports" / "fhir"


def job_dir(job: Any) -> Path:
    return export_root() / str(job.public_id)


def time_to_keep() -> timedelta:
    """How long files stay downloadable after the export finishes (spec: "Expires")."""
    return timedelta(hours=float(getattr(settings, "FHIR_EXPORT_HOURS", 24)))


def retry_after_seconds() -> int:
    """How often a client may poll a running export (faster answers 429)."""
    return int(getattr(settings, "FHIR_EXPORT_RETRY_AFTER_SECONDS", 5))
