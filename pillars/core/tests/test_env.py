"""Settings read the environment strictly: a wrong value names the variable and stops start-up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from pillars.core import env

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return monkeypatch


def test_bool_accepts_words_and_rejects_others(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("X_FLAG", "yes")
    assert env.env_bool("X_FLAG", False) is True
    environ.setenv("X_FLAG", "off")
    assert env.env_bool("X_FLAG", True) is False
    environ.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be true or false"):
        env.env_bool("X_FLAG", False)


def test_int_bounds_and_garbage(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("X_NUM", "15")
    assert env.env_int("X_NUM", 1, minimum=1, maximum=60) == 15
    environ.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be at least 1"):
        env.env_int("X_NUM", 1, minimum=1)
    environ.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be a whole number"):
        env.env_int("X_NUM", 1)


def test_choice_and_required(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("X_MODE", "staging")
    with pytest.raises(ImproperlyConfigured, match="X_MODE must be one of a, b"):
        env.env_choice("X_MODE", "a", ("a", "b"))
    environ.delenv("X_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_SECRET must be set"):
        env.env_required("X_SECRET", "it is needed")


STRONG = "Xq3v9LmT2pZr8KwY6nBd4HsJ1cFg7QeA0uVt5RyNo"


def _start(**overrides: str) -> subprocess.CompletedProcess[str]:
    return _setup(overrides=overrides)


def _setup(
    then: str = "", umask: int = -1, overrides: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Pillars set up in a process of its own, from no Pillars variable but ``overrides``,
    running ``then`` after ``django.setup()``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PILLARS_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {then}"],
        env={**base, "DJANGO_SETTINGS_MODULE": "pillars.settings", **(overrides or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        umask=umask,
    )


# The tests below start Pillars in processes of their own, on databases of their own, so the
# database a stage of bin/test runs on changes nothing for them: one stage runs them.
@pytest.mark.once
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PILLARS_ENV": "prod"}, "PILLARS_ENV must be one of"),
        (
            {"PILLARS_ENV": "test", "PILLARS_SESSION_IDLE_MINUTES": "abc"},
            "PILLARS_SESSION_IDLE_MINUTES must be a whole number",
        ),
        ({"PILLARS_ENV": "test", "DATABASE_URL": "mysql2://x"}, "DATABASE_URL"),
        ({"PILLARS_ENV": "production"}, "PILLARS_SECRET_KEY must be set"),
        (
            {"PILLARS_ENV": "production", "PILLARS_SECRET_KEY": "k" * 50},
            "PILLARS_AUDIT_KEY must be set",
        ),
        (
            {
                "PILLARS_ENV": "production",
                "PILLARS_SECRET_KEY": STRONG,
                "PILLARS_AUDIT_KEY": "short-audit-key",
                "PILLARS_DEMO": "false",
            },
            "PILLARS_AUDIT_KEY must be at least 32 random characters",
        ),
        (
            {
                "PILLARS_ENV": "production",
                "PILLARS_SECRET_KEY": "k" * 50,
                "PILLARS_AUDIT_KEY": STRONG,
                "PILLARS_DEMO": "false",
            },
            "PILLARS_SECRET_KEY must be at least 32 random characters",
        ),
        (
            {
                "PILLARS_ENV": "production",
                "PILLARS_SECRET_KEY": STRONG,
                "PILLARS_AUDIT_KEY": STRONG[::-1],
                "PILLARS_DEMO": "false",
            },
            "PILLARS_ALLOWED_HOSTS must name",
        ),
    ],
)
def test_bad_configuration_stops_start_up_naming_the_variable(
    overrides: dict[str, str], message: str
) -> None:
    result = _start(**overrides)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.once
def test_database_url_selects_postgres_with_health_checks() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; import django; django.setup();"
            "d = settings.DATABASES['default'];"
            "print(d['ENGINE'], d['CONN_HEALTH_CHECKS'], d['CONN_MAX_AGE'])",
        ],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pillars.settings",
            "PILLARS_ENV": "test",
            "DATABASE_URL": "postgres://u@db.example:5432/pillars",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["pillars.core.postgresql", "True", "600"]


@pytest.mark.once
@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(None, ["True", "5"]), ("3", ["True", "3"]), ("0", ["None", "None"])],
)
def test_postgres_keeps_plans_unless_turned_off(threshold: str | None, expected: list[str]) -> None:
    """Server-side binding and prepared plans on PostgreSQL by default; 0 turns them off (a
    pooler that does not keep prepared statements)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pillars.settings",
        "PILLARS_ENV": "test",
        "DATABASE_URL": "postgres://u@db.example:5432/pillars",
    }
    env.pop("PILLARS_DB_PREPARE_THRESHOLD", None)
    if threshold is not None:
        env["PILLARS_DB_PREPARE_THRESHOLD"] = threshold
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; import django; django.setup();"
            "o = settings.DATABASES['default'].get('OPTIONS', {});"
            "print(o.get('server_side_binding'), o.get('prepare_threshold'))",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == expected


@pytest.mark.once
def test_sqlite_default_is_wal_with_immediate_transactions_and_kept(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.db import connection;"
            "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
            "print(connection.settings_dict['OPTIONS']['transaction_mode']);"
            "print(connection.settings_dict['CONN_MAX_AGE'])",
        ],
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "pillars.settings",
            "PILLARS_ENV": "test",
            "PILLARS_DATA_DIR": str(tmp_path),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # Kept between requests, as on PostgreSQL: no reopening, PRAGMAs and schema read per page.
    assert result.stdout.split() == ["wal", "IMMEDIATE", "600"]


@pytest.mark.once
def test_a_first_start_makes_its_data_owner_only(tmp_path: Path) -> None:
    """A development start on a new data folder, under the usual umask (022): the folder, the
    secrets made in it and the SQLite database are the account's own."""
    data = tmp_path / "var"
    started = _setup(
        "from django.db import connection; connection.cursor().execute('CREATE TABLE t (x TEXT)')",
        umask=0o022,
        overrides={"PILLARS_ENV": "development", "PILLARS_DATA_DIR": str(data)},
    )
    assert started.returncode == 0, started.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert {"secret.key", "audit.key", "pillars.sqlite3"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


@pytest.mark.once
def test_a_production_start_on_a_demo_database_fails_naming_the_problem(tmp_path: Path) -> None:
    """A database loaded with demo accounts: every production start refuses until
    ``pillars disable-demo`` has switched them off; then it starts."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PILLARS_", "DATABASE_"))}
    base["DJANGO_SETTINGS_MODULE"] = "pillars.settings"
    db = f"sqlite:///{tmp_path}/demo.sqlite3"
    dev = {**base, "PILLARS_DATA_DIR": str(tmp_path), "DATABASE_URL": db, "PILLARS_ENV": "test"}
    pillars = [sys.executable, "-m", "pillars.manage"]

    def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*pillars, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )

    # The tables this start and ``disable-demo`` touch (the accounts, their two-step devices and
    # the audit log), not every app's: migrating them all took most of this test's time. One
    # process migrates them and makes the demo account (a process each took four starts).
    made = run(
        dev,
        "shell",
        "-c",
        "from django.core.management import call_command;"
        "[call_command('migrate', app, verbosity=0) for app in ('core', 'otp_totp', 'audit')];"
        "from pillars.core.models import User;"
        "User.objects.create_user('someone-else', password='x-long-password-1', is_demo=True)",
    )
    assert made.returncode == 0, made.stderr
    prod = {
        **base,
        "PILLARS_ENV": "production",
        "PILLARS_DEMO": "false",
        "PILLARS_SECRET_KEY": STRONG,
        "PILLARS_AUDIT_KEY": STRONG[::-1],
        "PILLARS_ALLOWED_HOSTS": "pillars.example.org",
        "PILLARS_DATA_DIR": str(tmp_path),
        "DATABASE_URL": db,
    }
    for command in (["worker", "--once"], ["migrate"], ["check"]):
        refused = run(prod, *command)
        assert refused.returncode != 0, command
        assert "1 active demo account" in refused.stderr, (command, refused.stderr[-500:])
        assert "pillars disable-demo" in refused.stderr
    # The demo commands do not exist outside demo mode.
    missing = run(prod, "demo-code", "demo-director")
    assert missing.returncode != 0
    assert "Unknown command" in missing.stderr
    # The web application itself answers 503 naming the problem.
    web = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.test import Client; import django; django.setup();"
            "r = Client(HTTP_HOST='pillars.example.org').get('/healthz', secure=True);"
            "print(r.status_code, r.content.decode())",
        ],
        env=prod,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert web.stdout.startswith("503 "), web.stdout + web.stderr[-500:]
    assert "demo account" in web.stdout
    done = run(prod, "disable-demo", "--yes")
    assert done.returncode == 0, done.stderr
    assert "Disabled 1 demo account" in done.stdout
    assert run(prod, "check").returncode == 0


@pytest.mark.once
@pytest.mark.parametrize("entry", ["pillars.wsgi", "pillars.asgi"])
def test_a_server_process_loads_its_routes_as_it_starts(entry: str, tmp_path: Path) -> None:
    """The views and the API are imported when the server's application is, not by the first
    request someone makes (core.startup)."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {entry}; print('pillars.api' in sys.modules, "
            "'pillars.people.views' in sys.modules)",
        ],
        env={
            **os.environ,
            "PILLARS_ENV": "test",
            "PILLARS_DATA_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True"]
