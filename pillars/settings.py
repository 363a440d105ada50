"""Pillars settings.

Every value that differs between machines comes from an environment variable read through the
strict helpers in ``pillars.core.env``; README.md lists them all. ``PILLARS_ENV`` picks the
profile: ``development`` (the default, used by ``make run``), ``test`` (the suite) or
``production``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from pillars.core.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_required,
    env_str,
)
from pillars.core.files import DIR_MODE, FILE_MODE, private_dir, write_private

BASE_DIR = Path(__file__).resolve().parent.parent
PILLARS_ENV = env_choice("PILLARS_ENV", "development", ("development", "test", "production"))
PRODUCTION = PILLARS_ENV == "production"
TESTING = PILLARS_ENV == "test"

DATA_DIR = Path(env_str("PILLARS_DATA_DIR", str(BASE_DIR / "var")))


def _local_secret(name: str) -> str:
    """A secret kept in a file under the data directory, made on first use (not production)."""
    path = private_dir(DATA_DIR) / name
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env_required("PILLARS_SECRET_KEY", "it signs sessions and tokens")
    # The audit chain key lives outside the database so that someone who can write to the
    # database cannot forge a consistent chain.
    AUDIT_HMAC_KEY = env_required("PILLARS_AUDIT_KEY", "it keys the audit log's hash chain")
elif TESTING:
    SECRET_KEY = env_str("PILLARS_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
    AUDIT_HMAC_KEY = env_str("PILLARS_AUDIT_KEY", "test-only-audit-key")
else:
    SECRET_KEY = env_str("PILLARS_SECRET_KEY", "") or _local_secret("secret.key")
    AUDIT_HMAC_KEY = env_str("PILLARS_AUDIT_KEY", "") or _local_secret("audit.key")

if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("PILLARS_SECRET_KEY must be at least 32 characters long")


def _strong(name: str, value: str) -> None:
    """Production keys: at least 32 characters that look random (not a word repeated). A short
    audit key can be guessed offline from any exported chain, and a guessed key lets someone
    with database access re-sign an edited chain (NIST SP 800-107r1 s5.3.4: an HMAC key at
    least as long as the security strength wanted, here 256 bits ~ 32 characters)."""
    if len(value) < 32 or len(set(value)) < 12:
        raise ImproperlyConfigured(
            f"{name} must be at least 32 random characters in production (for example the "
            "output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


if PRODUCTION:
    _strong("PILLARS_SECRET_KEY", SECRET_KEY)
    _strong("PILLARS_AUDIT_KEY", AUDIT_HMAC_KEY)

DEBUG = env_bool("PILLARS_DEBUG", PILLARS_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("PILLARS_DEBUG must be false when PILLARS_ENV is production")

# Demo mode: the demo generator may give the demo sign-ins a known password.
DEMO_MODE = env_bool("PILLARS_DEMO", not PRODUCTION)
if PRODUCTION and DEMO_MODE:
    raise ImproperlyConfigured("PILLARS_DEMO must be false when PILLARS_ENV is production")

ALLOWED_HOSTS = env_list(
    "PILLARS_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("PILLARS_ALLOWED_HOSTS must name the host names Pillars serves")
CSRF_TRUSTED_ORIGINS = env_list("PILLARS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "pillars.core",
    "pillars.audit",
    "pillars.people",
    "pillars.rounds",
    "pillars.incidents",
    "pillars.recovery",
    "pillars.workforce",
    "pillars.insights",
]
# The demo generator and its commands (demo, demo-code) exist only in demo mode: a production
# installation has no command that prints a demo account's two-step code.
if DEMO_MODE:
    INSTALLED_APPS.append("pillars.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pillars.core.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Static files are answered above; everything below is answered with "no-store".
    "pillars.core.middleware.NoStoreMiddleware",
    "pillars.core.middleware.RequestContextMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pillars.core.middleware.SessionLimitsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pillars.core.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Part 2 records read under a consent or in an emergency leave with the 42 CFR 2.32 notice.
    "pillars.core.exports.DisclosureNoticeMiddleware",
    # Axes last, as its documentation asks, so it sees the final response of a sign-in.
    "axes.middleware.AxesMiddleware",
]
if PRODUCTION:
    # Before anything else answers: no page is served while a demo account can sign in.
    MIDDLEWARE.insert(0, "pillars.core.demo_guard.DemoAccountGuard")

ROOT_URLCONF = "pillars.urls"
WSGI_APPLICATION = "pillars.wsgi.application"
ASGI_APPLICATION = "pillars.asgi.application"

# Every form field's typed values stay out of the browser's suggestions (shared workstations).
FORM_RENDERER = "pillars.core.formtools.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["pillars.core.templatetags.pillars_time"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "pillars.core.context_processors.shell",
                "pillars.people.context_processors.inbox",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------------

_default_db = f"sqlite:///{DATA_DIR / 'pillars.sqlite3'}"
try:
    _db = dj_database_url.parse(env_str("DATABASE_URL", _default_db) or _default_db)
except ValueError as exc:  # dj-database-url names the bad scheme; we name the variable
    raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from None

if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, its placeholders rewritten once per query text (pillars.core.sqlite).
    _db["ENGINE"] = "pillars.core.sqlite"
    if _db["NAME"] and _db["NAME"] != ":memory:":
        # The folder is owner-only when Pillars makes it; the file itself is made owner-only
        # when a connection opens it (pillars.core.files).
        private_dir(Path(_db["NAME"]).parent)
    _db["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy
        # timeout instead of failing with "database is locked" when they upgrade a read lock.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, its health check asking the server only when the connection's socket
    # says it may be broken (pillars.core.postgresql).
    _db["ENGINE"] = "pillars.core.postgresql"
    # A database restart must not turn the next request into an error.
    _db["CONN_HEALTH_CHECKS"] = True
    # Values bound by the server, so that PostgreSQL keeps the plan of a read run this many
    # times on a kept connection: planning the board's reads took twice as long as running
    # them. 0 turns it off, for a pooler that does not keep prepared statements (PgBouncer
    # before 1.21 in transaction mode).
    _prepare = env_int("PILLARS_DB_PREPARE_THRESHOLD", 5, minimum=0)
    if _prepare:
        _db["OPTIONS"] = {
            **_db.get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": _prepare,
        }
else:
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// address")
# Kept connections, on both databases: reopening SQLite on every request reran its PRAGMAs,
# reread its schema and dropped its page cache, which cost more than a page's own queries.
_db["CONN_MAX_AGE"] = env_int("PILLARS_DB_CONN_MAX_AGE", 600, minimum=0)

DATABASES = {"default": _db}

# A streaming replica for reports and dashboards (pillars.core.replica decides what may read it).
_replica_url = env_str("DATABASE_REPLICA_URL", "")
if _replica_url:
    if _db["ENGINE"] != "pillars.core.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL to be PostgreSQL")
    try:
        _replica = dj_database_url.parse(_replica_url)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a database address: {exc}"
        ) from None
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// address")
    _replica["ENGINE"] = _db["ENGINE"]
    _replica["CONN_MAX_AGE"] = _db["CONN_MAX_AGE"]
    _replica["CONN_HEALTH_CHECKS"] = True
    # Tests read the replica alias from the test database: there is no second test database.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["pillars.core.replica.ReplicaRouter"]
# Past this lag (seconds) reports read the primary: figures stay current within a minute.
REPLICA_MAX_LAG_SECONDS = env_int("PILLARS_REPLICA_MAX_LAG", 60, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Sign-in and sessions ------------------------------------------------------------------

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; the suite signs in thousands of times.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "pillars.core.backends.PasswordBackend",
    "pillars.people.tablets.BadgePinBackend",
]

AXES_FAILURE_LIMIT = env_int("PILLARS_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PILLARS_LOCKOUT_MINUTES", 15, minimum=1))
# Failures count by sign-in name (or badge) and address together: a stranger's wrong passwords
# from elsewhere must not lock a nurse out at the station at shift change, and five typos by
# different people at a unit's shared tablet (one address) lock out only the names mistyped.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Guessing many names from one address is stopped by a limit per address across names
# (core.backends.LockoutHandler); 0 switches it off. Sites whose staff all reach Pillars through
# one address should raise it rather than switch it off.
PILLARS_LOCKOUT_ADDRESS_FAILURES = env_int("PILLARS_LOCKOUT_ADDRESS_FAILURES", 30, minimum=0)
AXES_HANDLER = "pillars.core.backends.LockoutHandler"
# A failed attempt while locked out is refused and audited, but does not move the end of the
# lockout: otherwise anyone could keep a colleague locked out by trying every few minutes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address axes counts by is the one the audit log records (core.middleware.client_ip), which
# trusts X-Forwarded-For only as far as PILLARS_PROXY_COUNT proxies of our own.
AXES_CLIENT_IP_CALLABLE = "pillars.core.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "pillars.core.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "pillars.core.views.locked_out"
AXES_VERBOSE = False
# Never store PINs or passwords with a failed attempt's record.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "password",
    "pin",
    "pin_again",
    "current_password",
]
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# How many proxies of our own (load balancer, TLS terminator) stand in front of the app and
# append to X-Forwarded-For; 0 trusts only the connection's address.
PILLARS_PROXY_COUNT = env_int("PILLARS_PROXY_COUNT", 0, minimum=0, maximum=5)

SESSION_IDLE_SECONDS = 60 * env_int("PILLARS_SESSION_IDLE_MINUTES", 15, minimum=1, maximum=720)
SESSION_ABSOLUTE_SECONDS = 3600 * env_int("PILLARS_SESSION_MAX_HOURS", 12, minimum=1, maximum=24)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# Django's database sessions, their read built once per process (core.session_store).
SESSION_ENGINE = "pillars.core.session_store"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused form gets the project's page, which says nothing was saved and how to send it again.
CSRF_FAILURE_VIEW = "pillars.core.views.csrf_failure"

OTP_TOTP_ISSUER = env_str("PILLARS_OTP_ISSUER", "Pillars")
API_TOKEN_MAX_DAYS = 90

# --- Security headers ----------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PILLARS_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PILLARS_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("PILLARS_HSTS_PRELOAD", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Static files, language, time ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (inspection photos) under the data directory. There is no MEDIA_URL on purpose:
# nothing uploaded is served publicly; photos go out only through an audited, policy-checked view.
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_PERMISSIONS = FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = DIR_MODE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
PILLARS_DEFAULT_TIME_ZONE = env_str("PILLARS_DEFAULT_TIME_ZONE", "America/Chicago")

# An emergency check alerts the lead on duty at once; if no lead acknowledges it within this
# many minutes the unit's supervisors are alerted too, and after twice as long the director
# (rounds.services.escalation.sweep_emergency_climb).
EMERGENCY_ESCALATION_MINUTES = env_int(
    "PILLARS_EMERGENCY_ESCALATION_MINUTES", 5, minimum=1, maximum=120
)

# Each sweep takes rows for at most this many seconds per worker loop and leaves the rest (still
# due) for the next loop, so one sweep with a backlog cannot starve the others (core.sweeps).
SWEEP_BUDGET_SECONDS = env_int("PILLARS_SWEEP_BUDGET_SECONDS", 20, minimum=1, maximum=600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PILLARS_LOG_LEVEL", "INFO")},
    # fontTools logs every glyph subset it makes for a PDF at INFO: hundreds of lines a document.
    # The tasks' database worker logs its own start and stop at INFO, which the Pillars worker
    # runs on every loop (every 5 seconds); the tasks themselves log to "django.tasks".
    "loggers": {
        "axes": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}

# Audit head checkpoints (audit/checkpoint.py): signed lines naming the chain head, appended by
# the worker each minute. Keep the directory on storage the database's users cannot rewrite
# (README "Audit checkpoints"). Tests turn it on only where they need it, so one test's
# checkpoint never vouches for events another test's rolled-back database lacks.
_checkpoint_dir = env_str(
    "PILLARS_AUDIT_CHECKPOINT_DIR", "" if TESTING else str(DATA_DIR / "audit-checkpoints")
)
AUDIT_CHECKPOINT_DIR = Path(_checkpoint_dir) if _checkpoint_dir else None
AUDIT_CHECKPOINT_SYSLOG = env_bool("PILLARS_AUDIT_CHECKPOINT_SYSLOG", False)

# The largest request body accepted, uploads included (core.middleware.BodyLimitMiddleware
# answers 413 above it). A phone photo or a staff/person CSV fits well within 10 MB.
PILLARS_MAX_BODY_BYTES = env_int("PILLARS_MAX_BODY_MB", 10, minimum=1, maximum=100) * 1024 * 1024

# Small-cell suppression (core/suppression.py; DESIGN.md "Small cells"): CMS suppresses counts
# of 1 to 10 in released data, so exports hide groups under 11; screens hide groups under 5.
SMALL_CELL_MINIMUM = {"screen": 5, "export": 11}

BENCH_VIEWS = env_bool("PILLARS_BENCH", False)
if PRODUCTION and BENCH_VIEWS:
    raise ImproperlyConfigured("PILLARS_BENCH must be false when PILLARS_ENV is production")

# Outside production, whitenoise serves straight from the source folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
