"""Syndesk settings: one module, configured from environment variables.

Every value has a safe default for the embedded setup (SQLite under var/, console mail,
database task queue). Secrets may come from `<NAME>_FILE`. A malformed value stops the
process at start-up rather than misbehaving later.
"""

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SYNDESK_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    """A string from NAME, or from the file NAME_FILE points to (for secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_decimal(name: str, default: str) -> Decimal:
    raw = os.environ.get(name) or default
    try:
        return Decimal(raw.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be a decimal number, got {raw!r}") from exc


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("SYNDESK_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # Development and test only: production sets SECRET_KEY (see docs/deploy.md).
    SECRET_KEY = "syndesk-insecure-development-key-change-me"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "syndesk.core",
    "syndesk.members",
    "syndesk.catalog",
    "syndesk.contracts",
    "syndesk.news",
    "syndesk.desk",
    "syndesk.kb",
    "syndesk.billing",
    "syndesk.remote",
    "syndesk.inventory",
    "syndesk.ops",
    "syndesk.web",
]

MIDDLEWARE = [
    "syndesk.ops.middleware.RequestTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "syndesk.core.middleware_mfa.StaffMfaEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "syndesk.urls"
WSGI_APPLICATION = "syndesk.wsgi.application"
ASGI_APPLICATION = "syndesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "syndesk.core.context_processors.syndicate",
                "syndesk.members.context_processors.portal",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite file lives there
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'syndesk.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Optional server-side parameter binding: psycopg then prepares a statement from its
    # fifth run on a connection, so repeated queries skip planning. Off by default: the
    # load runs could not tell its gain from their noise (docs/performance.md); the suite
    # passes with it on.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
        "DATABASE_SERVER_SIDE_BINDING", False
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
# ModelBackend with a person's permissions read in one query (core/backends.py).
AUTHENTICATION_BACKENDS = ["syndesk.core.backends.PermissionBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:after-login"
LOGOUT_REDIRECT_URL = "web:home"
# Password-reset and invitation links expire; both are single use (they hash the password).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)
INVITATION_TIMEOUT = env_int("INVITATION_TIMEOUT", 7 * 24 * 3600)
# Two-factor sign-in (syndesk/core/mfa.py): staff must enrol an authenticator app unless
# STAFF_MFA_REQUIRED is off; a password accepted waits MFA_PENDING_SECONDS for its code.
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", True)
MFA_PENDING_SECONDS = env_int("MFA_PENDING_SECONDS", 300)
# Failed codes lock the device for 1, 2, 4… seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "syndesk" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CACHE_URL = env_str("CACHE_URL", env_str("REDIS_URL"))
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "syndesk"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Several app servers share sessions through Redis when it is configured (no session row
# written per request); the embedded setup keeps them in the database.
_SESSIONS = "django.contrib.sessions.backends." + ("cache" if CACHE_URL else "db")
SESSION_ENGINE = env_str("SESSION_ENGINE", _SESSIONS)

EMAIL_URL = env_str("EMAIL_URL", "console://")


def mailer_from_url(url: str) -> dict:
    """console://, locmem:// or smtp://user:pass@host:port (smtps:// for TLS on connect,
    submission:// for STARTTLS) as a MAILERS entry."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    simple = {"console": "console", "locmem": "locmem", "dummy": "dummy"}
    if parts.scheme in simple:
        return {"BACKEND": f"django.core.mail.backends.{simple[parts.scheme]}.EmailBackend"}
    if parts.scheme in {"smtp", "smtps", "submission"}:
        default_port = {"smtp": 25, "smtps": 465, "submission": 587}[parts.scheme]
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or default_port,
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": parts.scheme == "smtps",
                "use_tls": parts.scheme == "submission",
                "timeout": 20,
            },
        }
    raise ImproperlyConfigured(f"EMAIL_URL scheme not supported: {url!r}")


MAILERS = {"default": mailer_from_url(EMAIL_URL)}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Syndesk <assistance@syndesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS_BACKEND = env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    # Redis queue (django-tasks-rq); the worker is `manage.py rqworker --job-class
    # django_tasks_rq.backend.Job default` (see docs/deploy.md).
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db"), "django_rq")
    RQ_QUEUES = {"default": {"URL": env_str("TASKS_REDIS_URL", env_str("REDIS_URL"))}}
    if not RQ_QUEUES["default"]["URL"]:
        raise ImproperlyConfigured("TASKS_BACKEND=django_tasks_rq.RQBackend needs TASKS_REDIS_URL")
# A failed mail or PDF task is queued again after 1, 4, 16… minutes, up to
# TASKS_MAX_ATTEMPTS attempts in all; then it waits for a manager on /gestion/taches/.
TASKS_MAX_ATTEMPTS = env_int("TASKS_MAX_ATTEMPTS", 3)
TASKS_RETRY_DELAY = env_int("TASKS_RETRY_DELAY", 60)
TASKS_RETRY_TASKS = env_list(
    "TASKS_RETRY_TASKS",
    ["syndesk.core.tasks.send_email", "syndesk.desk.tasks.send_ticket_email"],
)
# /sante/ answers 503 when the oldest due task has waited longer than this (no worker?).
HEALTH_TASK_BACKLOG_MAX_AGE = env_int("HEALTH_TASK_BACKLOG_MAX_AGE", 900)
# Retention (DOMAIN.md §6), applied by `manage.py run_daily`: finished task results,
# dismissed triage mail, contacts of members gone for RETENTION_CONTACT_YEARS. Audit
# entries and accounting documents are kept.
RETENTION_TASK_RESULTS_DAYS = env_int("RETENTION_TASK_RESULTS_DAYS", 90)
RETENTION_INBOUND_DAYS = env_int("RETENTION_INBOUND_DAYS", 365)
RETENTION_CONTACT_YEARS = env_int("RETENTION_CONTACT_YEARS", 3)
# Staff are told of renewals and terminations this many days ahead (daily run).
CONTRACTS_NOTICE_DAYS = env_int("CONTRACTS_NOTICE_DAYS", 60)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a TLS-terminating proxy (see docs/deploy.md). Off by default: the embedded setup
# serves plain HTTP on the loopback.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]  # the load balancer probes over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No CDN and no inline script: everything is served from our own origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# The syndicate this deployment serves: shown on every page and printed on documents.
SYNDICATE = {
    "name": env_str("SYNDICATE_NAME", "Manche Numérique"),
    "legal_name": env_str("SYNDICATE_LEGAL_NAME", "Syndicat mixte Manche Numérique"),
    "address": env_str("SYNDICATE_ADDRESS", "235 rue Joseph Cugnot, 50000 Saint-Lô"),
    "phone": env_str("SYNDICATE_PHONE", "02 33 77 83 00"),
    "email": env_str("SYNDICATE_EMAIL", "assistance@syndesk.localhost"),
    "president": env_str("SYNDICATE_PRESIDENT", "Antoine DELAUNAY"),
    "president_title": env_str("SYNDICATE_PRESIDENT_TITLE", "Le Président"),
    "city": env_str("SYNDICATE_CITY", ""),  # empty: the town after the postal code
    "dpo_email": env_str("SYNDICATE_DPO_EMAIL", ""),  # empty: the desk's address
    "host": env_str("SYNDICATE_HOST", ""),  # the hosting provider; empty: self-hosted
    "department": env_str("SYNDICATE_DEPARTMENT", "50"),
    # Printed on invoices (seller's SIRET; VAT number only if the syndicate is liable to VAT).
    "siret": env_str("SYNDICATE_SIRET", "25500123200016"),
    "vat_number": env_str("SYNDICATE_VAT_NUMBER", ""),
}
# The account's name in the staff's authenticator apps.
OTP_TOTP_ISSUER = SYNDICATE["name"]
# Helpdesk: a ticket from a member whose subscription does not cover the software is either
# accepted with a warning ("warn") or refused with the reason ("refuse").
DESK_ENTITLEMENT_POLICY = env_str("DESK_ENTITLEMENT_POLICY", "warn")
if DESK_ENTITLEMENT_POLICY not in {"warn", "refuse"}:
    raise ImproperlyConfigured("DESK_ENTITLEMENT_POLICY must be 'warn' or 'refuse'")
DESK_ATTACHMENT_MAX_BYTES = env_int("DESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DESK_AUTO_CLOSE_DAYS = env_int("DESK_AUTO_CLOSE_DAYS", 7)
# Remote maintenance (annex): a request the member has not answered expires; the member's
# page confirms presence every REMOTE_PRESENCE_BEAT_SECONDS, a silence longer than
# REMOTE_PRESENCE_TIMEOUT_SECONDS flags the session; an open session is closed as abandoned
# after REMOTE_MAX_DURATION_MINUTES.
REMOTE_REQUEST_TTL_MINUTES = env_int("REMOTE_REQUEST_TTL_MINUTES", 30)
REMOTE_PRESENCE_BEAT_SECONDS = env_int("REMOTE_PRESENCE_BEAT_SECONDS", 15)
REMOTE_PRESENCE_TIMEOUT_SECONDS = env_int("REMOTE_PRESENCE_TIMEOUT_SECONDS", 90)
REMOTE_MAX_DURATION_MINUTES = env_int("REMOTE_MAX_DURATION_MINUTES", 240)
if not 0 < REMOTE_PRESENCE_BEAT_SECONDS < REMOTE_PRESENCE_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "REMOTE_PRESENCE_BEAT_SECONDS must be positive and below REMOTE_PRESENCE_TIMEOUT_SECONDS"
    )
if REMOTE_REQUEST_TTL_MINUTES <= 0 or REMOTE_MAX_DURATION_MINUTES <= 0:
    raise ImproperlyConfigured("REMOTE_* durations must be positive")

# Inventory: a declaration waiting for the member's details is recalled every
# INVENTORY_REMINDER_DAYS days, at most INVENTORY_REMINDER_MAX times.
INVENTORY_REMINDER_DAYS = env_int("INVENTORY_REMINDER_DAYS", 7)
INVENTORY_REMINDER_MAX = env_int("INVENTORY_REMINDER_MAX", 3)
if INVENTORY_REMINDER_DAYS <= 0 or INVENTORY_REMINDER_MAX < 0:
    raise ImproperlyConfigured(
        "INVENTORY_REMINDER_DAYS must be positive and INVENTORY_REMINDER_MAX not negative"
    )

# French public holidays; "57", "67", "68" or "Alsace-Moselle" add Good Friday and 26 December.
HOLIDAYS_SUBDIVISION = env_str("HOLIDAYS_SUBDIVISION", "")

# Billing. Late-payment interest = BILLING_ECB_RATE (the ECB main refinancing rate, in %) +
# BILLING_LATE_INTEREST_POINTS; BILLING_RECOVERY_INDEMNITY is the flat recovery indemnity.
# An invoiced period cut short by a termination gets a pro-rata credit note only when
# BILLING_CREDIT_ON_TERMINATION is on (DOMAIN.md §7). A reminder is due
# BILLING_REMINDER_AFTER_DAYS after the due date, then every BILLING_REMINDER_EVERY_DAYS;
# the daily job e-mails them when BILLING_AUTO_REMINDERS is on.
BILLING_ECB_RATE = env_decimal("BILLING_ECB_RATE", "2.15")
BILLING_LATE_INTEREST_POINTS = env_decimal("BILLING_LATE_INTEREST_POINTS", "8")
BILLING_RECOVERY_INDEMNITY = env_decimal("BILLING_RECOVERY_INDEMNITY", "40.00")
BILLING_CREDIT_ON_TERMINATION = env_bool("BILLING_CREDIT_ON_TERMINATION", False)
BILLING_REMINDER_AFTER_DAYS = env_int("BILLING_REMINDER_AFTER_DAYS", 15)
BILLING_REMINDER_EVERY_DAYS = env_int("BILLING_REMINDER_EVERY_DAYS", 30)
BILLING_AUTO_REMINDERS = env_bool("BILLING_AUTO_REMINDERS", True)

# LOG_FORMAT=json: one JSON object per line (request id, user id, path, status, duration)
# for a log collector; LOG_REQUESTS logs one line per request (on by default in JSON).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'")
LOG_REQUESTS = env_bool("LOG_REQUESTS", LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "syndesk.ops.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "syndesk.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "factur-x": {"level": "WARNING"},
    },
}
