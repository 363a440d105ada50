"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.test import Client

from pillars.core.roles import RoleCode
from pillars.people.testing import Elsewhere, World, build_elsewhere, build_world

ROLES = [str(code) for code in RoleCode]


def _trigger_sql(up: bool) -> list[str]:
    import importlib

    from django.db import connection

    migration = importlib.import_module("pillars.audit.migrations.0003_append_only_triggers")
    if connection.vendor == "postgresql":
        return migration.POSTGRES_UP if up else migration.POSTGRES_DOWN
    replace = importlib.import_module("pillars.audit.migrations.0004_refuse_replace_into_audit")
    if up:
        return [*migration.SQLITE_UP, replace.SQLITE_UP]
    return [*migration.SQLITE_DOWN, replace.SQLITE_DOWN]


def _flush_by_delete() -> None:
    """A transactional test ends by emptying every table. PostgreSQL's TRUNCATE of the ~150
    tables costs about a second however few rows there are; DELETE of the few rows a test wrote
    costs milliseconds (foreign keys are checked at commit, so the order does not matter), and
    they are sent together."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    def sql_flush(
        self: Any, style: Any, tables: Any, *, reset_sequences: bool = False, **kwargs: Any
    ) -> list[str]:
        if reset_sequences:
            return original(self, style, tables, reset_sequences=True, **kwargs)
        # Table names come from the models, quoted. One statement string: one round trip.
        return [" ".join(f"DELETE FROM {self.quote_name(table)};" for table in tables)]  # noqa: S608

    original = DatabaseOperations.sql_flush
    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_by_delete()


def _flush_puts_reference_rows_back() -> None:
    """After a transactional test's flush Django sends ``post_migrate``, whose receivers make
    the content types and permissions again (0.27 s on PostgreSQL, after every such test,
    under new ids). Instead the flush puts back every row the reference data made, content
    types and permissions with them, from the copies and with their ids (``_reference_data``),
    and commits them: the tests after it start on the database as migrated, rather than each
    putting the rows back inside its own transaction, which rolls them back again."""
    from django.core.management.commands import flush

    def after_flush(*args: Any, **kwargs: Any) -> None:
        _reference_data()

    flush.emit_post_migrate_signal = after_flush  # type: ignore[attr-defined]


_flush_puts_reference_rows_back()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The test databases are made from the models (``--no-migrations`` in pyproject.toml: a
    few seconds, where running every migration took about twenty per worker). What the
    migrations add beyond the models is put in here once per database: the audit table's
    triggers, the audit lanes and the reference data. The migrations themselves
    run in full in the tests that start on an empty database of their own
    (core/tests/test_env.py on SQLite, rounds/tests/test_partitions_migration.py on
    PostgreSQL)."""
    from importlib import import_module

    from django.db import connection

    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            for sql in _trigger_sql(up=True):
                cursor.execute(sql)
        for module in SCHEMA_EXTRAS:
            import_module(module).forwards(None, None)
        _reference_data()
        _keep_reference_rows()


# Migrations that change the database beyond what the models say (the audit lanes' head rows and
# event sequence, tables partitioned by month on PostgreSQL), run once on each test database.
SCHEMA_EXTRAS = (
    "pillars.audit.migrations.0006_lanes",
    "pillars.audit.migrations.0007_partition_events",
    "pillars.rounds.migrations.0017_partition_checks",
    "pillars.people.migrations.0006_partition_alerts",
    "pillars.rounds.migrations.0020_check_keys_organization",
    "pillars.people.migrations.0010_alert_keys_organization",
    "pillars.audit.migrations.0008_event_keys_lane",
)


# The data migrations that load reference defaults (roles, observation levels, inspection
# checklists, the escalation chain) and the audit lanes' head rows. A transactional test's flush
# empties every table, the migrations' rows included, so the next test on that worker puts them
# back first.
REFERENCE_DATA = (
    "pillars.audit.migrations.0006_lanes",
    "pillars.people.migrations.0002_default_roles",
    "pillars.rounds.migrations.0002_default_levels",
    "pillars.rounds.migrations.0005_default_inspection_templates",
    "pillars.rounds.migrations.0008_escalation",
    "pillars.recovery.migrations.0003_encounter_defaults",
    "pillars.recovery.migrations.0003_capital_instruments",
    "pillars.recovery.migrations.0003_matching_default_limit",
    "pillars.recovery.migrations.0007_referral_outcome_reasons",
    "pillars.incidents.migrations.0003_incidents:load_defaults",
    "pillars.incidents.migrations.0004_restraint:load_profiles",
    "pillars.workforce.migrations.0003_credential_defaults",
    "pillars.workforce.migrations.0002_wellbeing",
    "pillars.workforce.migrations.0003_recognition_ladder_retention",
    "pillars.workforce.migrations.0002_supervision",
    "pillars.workforce.migrations.0006_training_reminders",
    "pillars.workforce.migrations.0007_cadence_rule_versions",
)


# The tables the reference data filled, each with the name of its copy (``_keep_reference_rows``).
_REFERENCE_COPIES: list[tuple[str, str]] = []


def _keep_reference_rows() -> None:
    """Copy every table the reference data filled into a table no model names, once per test
    database: the flush leaves the copies alone, and putting the rows back from them after a
    flush is one INSERT per table (running the data migrations again took 0.3 s on
    PostgreSQL, after every transactional test)."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is None:
                continue
            copy = f"test_reference_copy_{len(_REFERENCE_COPIES)}"
            cursor.execute(f"CREATE TABLE {copy} AS SELECT * FROM {quote(table)}")  # noqa: S608
            _REFERENCE_COPIES.append((table, copy))


def _reference_data() -> None:
    from importlib import import_module

    from django.apps import apps
    from django.db import connection, transaction

    from pillars.rounds.models import ObservationLevel

    if ObservationLevel.objects.exists():
        return
    if _REFERENCE_COPIES:
        quote = connection.ops.quote_name
        # One transaction: the foreign keys are checked at its end, whatever the tables' order.
        # The content types and permissions come back too (``_flush_puts_reference_rows_back``).
        with transaction.atomic(), connection.cursor() as cursor:
            for table, copy in _REFERENCE_COPIES:
                cursor.execute(
                    f"INSERT INTO {quote(table)} SELECT * FROM {copy} "  # noqa: S608
                    f"WHERE NOT EXISTS (SELECT 1 FROM {quote(table)})"
                )
        return
    for entry in REFERENCE_DATA:
        module, _, function = entry.partition(":")
        getattr(import_module(module), function or "forwards")(apps, None)


def record_migrations_applied() -> None:
    """Mark every migration applied on the test database, as ``migrate`` would have left it,
    for a test that hands the database to a process of its own (a restore drill's
    ``migrate --check``). The schema is the models', which the migrations match
    (``makemigrations --check`` in bin/test)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder
    from django.test import override_settings

    with override_settings(MIGRATION_MODULES={}):
        nodes = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    applied = recorder.applied_migrations()
    for app, name in nodes:
        if (app, name) not in applied:
            recorder.record_applied(app, name)


def database_as_migrated() -> None:
    """Leave the test database as ``migrate`` would have left it, outside any test's
    transaction, for a test that copies it into a database of its own: the audit triggers
    (a transactional test lifts them for its flush), the reference rows and the audit lanes'
    heads (the flush empties them), every migration recorded applied."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in _trigger_sql(up=True):
            cursor.execute(sql)
    _reference_data()
    record_migrations_applied()


@pytest.fixture(autouse=True)
def _audit_triggers(request: Any) -> Any:
    """Keep the audit table append-only in every test, yet let a transactional test's teardown
    flush it: the triggers are lifted just before the flush and restored before the next test."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in _trigger_sql(up=True):
            cursor.execute(sql)
    _reference_data()
    yield
    transactional = marker is not None and marker.kwargs.get("transaction")
    if transactional or "transactional_db" in request.fixturenames:
        with connection.cursor() as cursor:
            for sql in _trigger_sql(up=False):
                cursor.execute(sql)


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture
def elsewhere(world: World) -> Elsewhere:
    """A second organization beside the world's (people.tenancy): what one organization's staff
    find, are offered, alerted about or counted with is never the other's."""
    return build_elsewhere(world)


def client_for(world: World, role: str) -> Client:
    """A test client signed in as a role of the world (two-factor already passed)."""
    return client_of(world.staff[role])


def client_of(staff: Any) -> Client:
    """A test client signed in as a staff member (two-factor already passed)."""
    client = Client()
    user = staff.user
    client.force_login(user)
    if any(r.requires_two_factor for r in staff.roles.all()):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def signed_in(world: World) -> Any:
    """A factory: a test client signed in as a role of the world (two-factor already passed)."""
    return lambda role: client_for(world, role)


@contextmanager
def module_data(django_db_blocker: Any) -> Iterator[None]:
    """Rows a whole module reads, written once and rolled back at the module's end. Each test's
    own transaction is a savepoint inside this one, so a test's writes still roll back to them.
    The tests must not change the shared objects in memory."""
    from django.db import connection, transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with connection.cursor() as cursor:
                for sql in _trigger_sql(up=True):
                    cursor.execute(sql)
            _reference_data()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- Where each test runs -------------------------------------------------------------------

BROWSER_FIXTURES = {"browser", "page", "live_server"}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """A test that drives the browser is a browser test, whether or not its module says so:
    bin/test runs browser and fuzz tests once (not on both databases) by these markers, so an
    unmarked one would run twice or, worse, be left out of a filtered run.

    The database tests keep pytest-django's order: tests inside a transaction first, then those
    that flush the database (each flush makes the next test put the reference rows back).
    Moving the long tests among them to the front mixed the two and made the PostgreSQL stage
    slower (500 s against 375 s, the same code on the same quiet machine). Only the long tests
    that never touch the test database move (``_long_outsiders_first``)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & BROWSER_FIXTURES and item.get_closest_marker("browser") is None:
            item.add_marker(pytest.mark.browser)
    if getattr(config.option, "loadgroup", False) or config.getoption("dist", "") == "loadgroup":
        _group_for_workers(items)
    _long_outsiders_first(items)


# Fixtures through which a test reaches the test database (pytest-django's order reads the same).
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


def _long_outsiders_first(items: list[Any]) -> None:
    """The "once" tests that never touch the test database (each starts processes on a
    database of its own: a migration, a production start) go first. pytest-django puts the
    tests without a database last, so one of these, long, left a worker running it alone at
    the end of the stage while the other waited. Moving them leaves the database tests in
    pytest-django's order (the transactional ones after the others)."""
    outsiders = [
        item
        for item in items
        if item.get_closest_marker("once") is not None
        and item.get_closest_marker("django_db") is None
        and not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        and getattr(item, "cls", None) is None
    ]
    if outsiders:
        moved = set(map(id, outsiders))
        items[:] = outsiders + [item for item in items if id(item) not in moved]


def _group_for_workers(items: list[Any]) -> None:
    """Under ``--dist loadgroup`` one worker runs a whole ``xdist_group`` (the demo, loaded once
    for two modules) and a whole module whose tests share a module-scoped fixture (a matrix's
    world, a loaded directory: built once, not once per worker and again each time the worker
    comes back to the module). Every other test is scheduled on its own, which balances the
    workers best. pytest-xdist marks a group by suffixing the test's id, through an attribute
    pytest 9 no longer reads; this sets the id pytest does read."""
    from _pytest.nodeid import NodeId

    for item in items:
        if "@" in item.nodeid.rpartition("]")[2]:
            continue  # already grouped
        marker = item.get_closest_marker("xdist_group")
        if marker is not None:
            group = str(marker.args[0] if marker.args else marker.kwargs.get("name", "default"))
        elif _shares_a_module_fixture(item):
            group = item.nodeid.partition("::")[0]
        else:
            continue
        item._id = NodeId.parse(f"{item.nodeid}@{group}")


def _shares_a_module_fixture(item: Any) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definition.scope in ("module", "class")
        and not definition.func.__module__.startswith("pytest_django")
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
    )


# --- Browser tests (Playwright driving a real Chromium) -------------------------------------

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium_path() -> str | None:
    """The browser make test prepared; never a silent skip when there is none."""
    import os
    import shutil

    path = os.environ.get("PILLARS_CHROMIUM")
    if path is None:
        path = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
        if path is None and shutil.which("chromium"):
            path = shutil.which("chromium")
    if path == "":
        return None  # Playwright's own build, installed by bin/ensure-chromium
    if path is None or not os.path.exists(path):
        pytest.fail(
            "No Chromium for the browser tests: run `make test` (it installs Debian's chromium) "
            "or set PILLARS_CHROMIUM to a Chromium binary."
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Any:
    import os

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (fixtures) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=_chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Any:
    """A fresh browser page whose console errors (CSP violations included) fail the test."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    new_page.set_default_timeout(10_000)
    yield new_page
    context.close()
    assert not errors, f"browser console errors: {errors}"


def totp_now(user: Any) -> str:
    """The current code of a user's confirmed authenticator device (for tests)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def axe_check() -> Any:
    """Run axe-core on a page; fail on any WCAG 2.1 A/AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

    def check(page: Any) -> None:
        # A click that navigates returns before the next document exists; axe must run on
        # the page that loaded, so wait for it, and run again if a navigation still replaced
        # the document under axe.
        from playwright.sync_api import Error

        page.wait_for_load_state("load")
        try:
            results = axe.run(page, options=options)
        except Error:
            page.wait_for_load_state("load")
            results = axe.run(page, options=options)
        assert results.violations_count == 0, results.generate_report()

    return check
