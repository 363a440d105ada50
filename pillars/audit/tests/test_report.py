"""The audit report: filters, allowlisted sorting, CSV export, and who may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import ROLES
from pillars.audit import log, selectors
from pillars.audit.choices import Action, Category, Outcome, Purpose
from pillars.audit.models import AuditEvent
from pillars.audit.verify import verify_database
from pillars.core import clock
from pillars.core.exports import neutralize
from pillars.people.testing import World

pytestmark = pytest.mark.django_db

REPORT = "/audit/report/"
CSV_URL = "/audit/report.csv"


def _seqs(response: Any) -> list[int]:
    return [row.seq for row in response.context["rows"]]


def _report(client: Client, **params: Any) -> Any:
    response = client.get(REPORT, params)
    assert response.status_code == 200, response.content[:500]
    return response


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    # A file with Part 2 events starts with the 42 CFR 2.32 notice, one "# " row a line.
    lines = [ln for ln in body.splitlines(keepends=True) if not ln.startswith(("# ", '"# '))]
    return list(csv.DictReader(io.StringIO("".join(lines))))


@pytest.fixture
def privacy(signed_in: Any) -> Client:
    return signed_in("privacy")


def _event(**values: Any) -> AuditEvent:
    values.setdefault("actor", None)
    values.setdefault("action", Action.VIEW)
    return log.record(**values)


def test_urls_are_named() -> None:
    assert reverse("audit:report") == REPORT
    assert reverse("audit:report-csv") == CSV_URL


@pytest.mark.parametrize("role", [r for r in [*ROLES, "outsider"] if r != "privacy"])
def test_every_other_role_is_refused(signed_in: Any, role: str) -> None:
    client = signed_in(role)
    assert client.get(REPORT).status_code == 403
    assert client.get(CSV_URL).status_code == 403
    # The refusal is itself recorded; nothing was shown or exported.
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    assert not AuditEvent.objects.filter(object_id="report", outcome=Outcome.SUCCESS).exists()
    assert AuditEvent.objects.filter(
        outcome=Outcome.DENIED, detail__policy_action="audit.view_report"
    ).exists()


def test_signed_out_goes_to_sign_in(db: Any) -> None:
    response = Client().get(REPORT)
    assert response.status_code == 302
    assert "/account/sign-in/" in response["Location"]
    assert Client().get(CSV_URL).status_code == 302


def test_report_lists_events_and_is_itself_audited(privacy: Client, world: World) -> None:
    person = world.person_a
    assert person is not None
    seen = _event(
        actor=world.user("nurse"),
        target=person,
        person_id=person.public_id,
        purpose=Purpose.TREATMENT,
        detail={"what": "record"},
    )
    response = _report(privacy)
    row = next(r for r in response.context["rows"] if r.seq == seen.seq)
    assert row.who == "t-nurse"
    assert row.staff_name == "T Nurse"
    assert row.person == "MRN-A1"
    assert row.outcome_label == "Success"
    assert row.outcome_icon
    assert row.local_at.utcoffset() != row.occurred_at.utcoffset()  # America/Chicago vs UTC
    html = response.content.decode()
    assert "MRN-A1" in html
    assert "Person served: record" in html
    assert "UTC" in html
    assert "CST" in html or "CDT" in html
    viewed = AuditEvent.objects.filter(action=Action.VIEW, object_id="report").last()
    assert viewed is not None
    assert viewed.actor_id == world.user("privacy").pk
    assert viewed.purpose == Purpose.OVERSIGHT
    assert viewed.detail["shown"] == len(response.context["rows"])
    assert verify_database()[0] is None


def test_period_is_read_in_the_default_zone(privacy: Client) -> None:
    # 05:00 UTC on 1 March is still 28 February in Chicago (UTC-6 in winter).
    with time_machine.travel(datetime(2026, 3, 1, 5, 0, tzinfo=UTC), tick=False):
        late_feb = _event(object_type="test", object_id="feb")
    with time_machine.travel(datetime(2026, 3, 1, 7, 0, tzinfo=UTC), tick=False):
        early_mar = _event(object_type="test", object_id="mar")
    feb = _seqs(_report(privacy, date_from="2026-02-28", date_to="2026-02-28"))
    assert late_feb.seq in feb
    assert early_mar.seq not in feb
    mar = _seqs(_report(privacy, date_from="2026-03-01"))
    assert early_mar.seq in mar
    assert late_feb.seq not in mar
    assert _seqs(_report(privacy, date_to="2026-02-27")) == []


def test_person_filter_by_record_number_or_id_includes_list_reads(
    privacy: Client, world: World
) -> None:
    a, b = world.person_a, world.person_b
    assert a is not None
    assert b is not None
    direct = _event(target=a, person_id=a.public_id, detail={"what": "record"})
    listed = _event(
        object_type="people.personserved",
        object_id="census",
        detail={"person_ids": [str(b.public_id), str(a.public_id)]},
    )
    other = _event(target=b, person_id=b.public_id)
    only_b = _event(
        object_type="people.personserved",
        object_id="census",
        detail={"person_ids": [str(b.public_id)]},
    )
    for term in ("MRN-A1", "mrn-a1", str(a.public_id)):
        response = _report(privacy, person=term)
        seqs = _seqs(response)
        assert {direct.seq, listed.seq} <= set(seqs), term
        assert not {other.seq, only_b.seq} & set(seqs), term
    rows = {r.seq: r for r in _report(privacy, person="MRN-A1").context["rows"]}
    assert rows[listed.seq].person == "MRN-A1 (in a list of 2)"


def test_unknown_record_number_is_a_clear_error(privacy: Client) -> None:
    _event(object_type="test")
    before = AuditEvent.objects.count()
    response = _report(privacy, person="NO-SUCH-NUMBER")
    assert response.context["rows"] == []
    assert "No person served has that record number" in response.content.decode()
    # Nothing was shown, so there is no read to record.
    assert AuditEvent.objects.count() == before
    assert privacy.get(CSV_URL, {"person": "NO-SUCH-NUMBER"}).status_code == 400


def test_dates_in_the_wrong_order_are_refused(privacy: Client) -> None:
    response = _report(privacy, date_from="2026-03-02", date_to="2026-03-01")
    assert response.context["rows"] == []
    assert "The end date is before the start date." in response.content.decode()


def test_staff_filter_matches_sign_in_name_and_typed_names(privacy: Client, world: World) -> None:
    by_nurse = _event(actor=world.user("nurse"), object_type="test")
    by_bht = _event(actor=world.user("bht"), object_type="test")
    failed = _event(actor_label="t-nurse", action=Action.SIGN_IN_FAILED, outcome=Outcome.FAILED)
    seqs = _seqs(_report(privacy, staff="T-Nurse"))
    assert by_nurse.seq in seqs
    assert failed.seq in seqs
    assert by_bht.seq not in seqs


def test_category_action_and_outcome_filters(privacy: Client) -> None:
    part2 = _event(category=Category.SUBSTANCE_USE, object_type="test")
    general = _event(category=Category.GENERAL, object_type="test")
    export = _event(action=Action.EXPORT, object_type="test")
    denied = _event(outcome=Outcome.DENIED, object_type="test")
    seqs = _seqs(_report(privacy, category=Category.SUBSTANCE_USE))
    assert part2.seq in seqs
    assert general.seq not in seqs
    seqs = _seqs(_report(privacy, action=Action.EXPORT))
    assert seqs == [export.seq]
    seqs = _seqs(_report(privacy, outcome=Outcome.DENIED))
    assert denied.seq in seqs
    assert general.seq not in seqs
    # A choice that is not on the list is an error, not a silent "any".
    response = _report(privacy, action="drop_table")
    assert response.context["rows"] == []
    assert response.context["form"].errors["action"]


def test_sort_by_allowlisted_columns(privacy: Client, world: World) -> None:
    _event(actor=world.user("nurse"), object_type="test")
    _event(actor=world.user("bht"), object_type="test")
    _event(actor=world.user("clinician"), object_type="test")
    default = _seqs(_report(privacy))
    assert default == sorted(default, reverse=True)  # newest first
    oldest_first = _seqs(_report(privacy, sort="when"))
    assert oldest_first == sorted(oldest_first)
    who = [r.who for r in _report(privacy, sort="who").context["rows"]]
    assert who == sorted(who)
    who_desc = [r.who for r in _report(privacy, sort="-who").context["rows"]]
    assert who_desc == sorted(who_desc, reverse=True)
    assert who != who_desc


@pytest.mark.parametrize("raw", ["password", "-hmac;drop", "hmac", "actor__password", "-when "])
def test_unknown_sort_is_ignored(privacy: Client, world: World, raw: str) -> None:
    for n in range(3):
        _event(object_type="test", object_id=str(n))
    response = _report(privacy, sort=raw)
    seqs = _seqs(response)
    assert seqs == sorted(seqs, reverse=True)
    assert response.context["sort"] == "-when"
    assert _csv(privacy.get(CSV_URL, {"sort": raw}))  # the export ignores it too


def test_pages_of_fifty(privacy: Client) -> None:
    for n in range(120):
        _event(object_type="test", object_id=str(n))
    first = _seqs(_report(privacy, action=Action.VIEW, sort="when"))
    second = _seqs(_report(privacy, action=Action.VIEW, sort="when", page=2))
    assert len(first) == 50
    assert len(second) == 50
    assert first[-1] < second[0]
    assert _report(privacy, page="9999").context["page"].number >= 3  # clamps, never 500s
    assert _report(privacy, page="abc").context["page"].number == 1


def test_csv_export_has_the_filtered_rows_and_is_audited(privacy: Client, world: World) -> None:
    person = world.person_a
    assert person is not None
    wanted = _event(
        actor=world.user("nurse"),
        target=person,
        person_id=person.public_id,
        category=Category.SUBSTANCE_USE,
        detail={"what": "record"},
    )
    _event(actor=world.user("bht"), object_type="test")
    rows = _csv(privacy.get(CSV_URL, {"staff": "t-nurse", "person": "MRN-A1"}))
    assert [r["seq"] for r in rows] == [str(wanted.seq)]
    row = rows[0]
    assert row["sign_in_name"] == "t-nurse"
    assert row["record_number"] == "MRN-A1"
    assert row["person_id"] == str(person.public_id)
    assert row["category"] == "part2"
    assert row["occurred_at_utc"].endswith("+00:00")
    exported = AuditEvent.objects.get(action=Action.EXPORT)
    assert exported.actor_id == world.user("privacy").pk
    assert exported.purpose == Purpose.OVERSIGHT
    assert exported.category == Category.SUBSTANCE_USE
    # No dates given: the export covers the last 7 days, and says so in its audit event.
    today = clock.today_in(selectors.report_zone())
    assert exported.detail["filters"] == {
        "person": "MRN-A1",
        "staff": "t-nurse",
        "date_from": str(today - timedelta(days=6)),
        "date_to": str(today),
    }
    assert exported.detail["rows"] == 1
    assert exported.detail["format"] == "csv"
    assert verify_database()[0] is None


def test_csv_export_neutralizes_spreadsheet_formulas(privacy: Client) -> None:
    names = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "plain"]
    for name in names:
        _event(actor_label=name, action=Action.SIGN_IN_FAILED, outcome=Outcome.FAILED)
    rows = _csv(privacy.get(CSV_URL, {"action": Action.SIGN_IN_FAILED, "sort": "when"}))
    assert [r["sign_in_name"] for r in rows] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "plain",
    ]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_neutralize() -> None:
    assert neutralize("=1") == "'=1"
    assert neutralize("\t=1") == "'\t=1"
    assert neutralize("a=1") == "a=1"
    assert neutralize("") == ""


def test_report_page_query_budget(
    privacy: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    person = world.person_a
    assert person is not None
    for n in range(60):
        _event(
            actor=world.user("nurse" if n % 2 else "bht"),
            target=person,
            person_id=person.public_id,
            detail={"what": "record", "n": n},
        )
    _report(privacy)  # warm the session
    with django_assert_max_num_queries(20):
        response = _report(privacy)
    assert len(response.context["rows"]) == 50
    with django_assert_max_num_queries(20):
        _report(privacy, person="MRN-A1", staff="t-nurse", sort="who")


def test_csv_query_budget(
    privacy: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(150):
        _event(actor=world.user("nurse"), object_type="test", object_id=str(n))
    privacy.get(REPORT)
    with django_assert_max_num_queries(20):
        rows = _csv(privacy.get(CSV_URL))
    assert len(rows) >= 150


def test_htmx_sort_gets_the_results_partial(privacy: Client) -> None:
    _event(object_type="test")
    response = privacy.get(REPORT, {"sort": "action"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'aria-sort="ascending"' in html
    assert 'id="report-sort" value="action" hx-swap-oob="true"' in html


def test_an_export_without_dates_is_the_last_seven_days(privacy: Client, world: World) -> None:
    with time_machine.travel(clock.now() - timedelta(days=30), tick=False):
        old = _event(actor=world.user("bht"), object_type="test")
    recent = _event(actor=world.user("bht"), object_type="test")
    seqs = [r["seq"] for r in _csv(privacy.get(CSV_URL, {"staff": "t-bht"}))]
    assert str(recent.seq) in seqs
    assert str(old.seq) not in seqs
    # Dates given: the period asked for, however old.
    start = clock.today_in(selectors.report_zone()) - timedelta(days=40)
    seqs = [
        r["seq"] for r in _csv(privacy.get(CSV_URL, {"staff": "t-bht", "date_from": str(start)}))
    ]
    assert str(old.seq) in seqs
    page = privacy.get(reverse("audit:report")).content.decode()
    assert "Export the last 7 days as CSV" in page
