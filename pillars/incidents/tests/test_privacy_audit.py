"""Privacy audit of the incidents area's side paths: a list read that shows Part 2 incidents
(reported in a substance-use program) is audited under the substance-use category (DESIGN.md
rules 4 and 6), as the read of one such incident is."""

from __future__ import annotations

import pytest

from pillars.audit.choices import Category
from pillars.audit.models import AuditEvent
from pillars.incidents.selectors import incidents as sel
from pillars.people.testing import World
from pillars.people.tests.part2_support import build_story

pytestmark = pytest.mark.django_db


def test_a_list_of_part2_incidents_is_audited_as_substance_use(world: World) -> None:
    story = build_story(world)
    assert story.incident.is_part2
    reader = story.user("sud_nurse")
    rows = sel.unit_incidents(reader, story.sud)
    assert rows == [story.incident]
    sel.record_incidents_read(reader, rows, what="unit sud incidents")
    event = AuditEvent.objects.get(object_type="incidents.incident", object_id="unit sud incidents")
    assert event.category == Category.SUBSTANCE_USE
    # One incident read alone says so already.
    sel.get_incident_for(reader, story.incident.public_id)
    one = AuditEvent.objects.get(object_id=str(story.incident.public_id), action="view")
    assert one.category == Category.SUBSTANCE_USE
