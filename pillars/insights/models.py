"""The insights app's tables: derived, rebuildable from the other apps."""

from pillars.insights.fhir.models import *  # noqa: F403
