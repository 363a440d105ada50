"""Demo data for the resource directory: a few hundred services written as an HSDS 3.0 data
package into a temporary folder (deterministic from the area's seed) and imported through the
real import service, as an administrator would. It includes two confidential domestic-violence
shelters and services in several languages and time zones."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pillars.demo.incidents.context import DemoContext
from pillars.recovery.hsds import sample
from pillars.recovery.hsds.package import files_from_dir
from pillars.recovery.services.directory import import_package

SERVICES = {"small": 300, "large": 1000}


def load(ctx: DemoContext) -> None:
    """Generate the package, then import it in one committed run."""
    seed = ctx.rng("directory").randrange(1, 10_000)
    admin = ctx.demo_staff["demo-admin"].user
    with tempfile.TemporaryDirectory(prefix="pillars-hsds-") as tmp:
        folder = sample.write(Path(tmp) / "package", SERVICES.get(ctx.scale, 300), seed)
        report = import_package(
            files_from_dir(folder), actor=admin, commit=True, source="demo directory"
        )
    if not report.committed:
        raise RuntimeError("the demo directory package did not import: " + report.summary())
