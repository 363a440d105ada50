"""Settings read the environment strictly: a wrong value names the variable and stops start-up."""

from __future__ import annotations

import os
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


def _start(**overrides: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PILLARS_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, "DJANGO_SETTINGS_MODULE": "pillars.settings", **overrides},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


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
                "PILLARS_SECRET_KEY": "k" * 31,
                "PILLARS_AUDIT_KEY": "a" * 40,
            },
            "PILLARS_SECRET_KEY must be at least 32 characters",
        ),
        (
            {
                "PILLARS_ENV": "production",
                "PILLARS_SECRET_KEY": "k" * 50,
                "PILLARS_AUDIT_KEY": "a" * 31,
                "PILLARS_DEMO": "false",
            },
            "PILLARS_AUDIT_KEY must be at least 32 characters",
        ),
        (
            {
                "PILLARS_ENV": "production",
                "PILLARS_SECRET_KEY": "k" * 50,
                "PILLARS_AUDIT_KEY": "a" * 32,
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
    assert result.stdout.split() == ["django.db.backends.postgresql", "True", "600"]


def test_sqlite_default_is_wal_with_immediate_transactions(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.db import connection;"
            "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
            "print(connection.settings_dict['OPTIONS']['transaction_mode'])",
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
    assert result.stdout.split() == ["wal", "IMMEDIATE"]
