"""One settings module, read from the environment.

Defaults run on a laptop: SQLite, the in-memory channel layer, DEBUG off
unless asked. What production uses (PostgreSQL via DATABASE_URL, Redis via
REDIS_URL) is selected by the same module, so the tests exercise it.
"""

import ipaddress
import logging
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_number(name: str, default, parse, what: str):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return parse(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be {what}, got {value!r}") from exc


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


DEBUG = env_bool("DJANGO_DEBUG")

# Development-only secrets: usable with DEBUG on, refused with DEBUG off.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
_DEV_PLATFORM_KEY = "ZGV2LW9ubHktcGxhdGZvcm0ta2V5LW5vdC1mb3ItcHJvZA=="

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
PROCUREMENT_PLATFORM_KEY = os.environ.get("PROCUREMENT_PLATFORM_KEY") or (
    _DEV_PLATFORM_KEY if DEBUG else ""
)
# Earlier platform keys (comma-separated base64), kept after a rotation: they
# open tender keys not yet re-sealed (`manage.py rotate_platform_key`) and
# verify the receipts they signed.
PROCUREMENT_PLATFORM_RETIRED_KEYS = os.environ.get("PROCUREMENT_PLATFORM_RETIRED_KEYS", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set it, or set DJANGO_DEBUG=1 for a development run."
    )
if not PROCUREMENT_PLATFORM_KEY:
    raise ImproperlyConfigured(
        "PROCUREMENT_PLATFORM_KEY is not set (it seals tender keys and signs receipts). "
        "Generate one with `python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())'`, "
        "or set DJANGO_DEBUG=1 for a development run."
    )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",  # API tokens, stored hashed (accounts/tokens.py)
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "django_tasks",
    "django_tasks_db",
    "mail",
    "accounts",
    "tenders",
    "bids",
    "audit",
    "evaluation",
    "auctions",
    "clarifications",
    "notifications",
    "opendata",
    "integrity",
    "live",
    "scheduling",
    "frontend",
    "demo",
]

MIDDLEWARE = [
    # A database outage in a view: 503, a page in the reader's language outside /api/ (core/dbhealth.py).
    "core.dbhealth.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie set by the switcher (/i18n/setlang/), else the
    # browser's Accept-Language; URLs stay the same in every language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out admin login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Password guessing: django-axes counts failed logins (API token and session
# logins, and the admin) per username and client address, in the database,
# and refuses that pair for a cool-off period once the limit is reached.
# The client address is core.clientip's, the same as the abuse limits':
# the TCP peer, or what X-Forwarded-For says only when the peer is one of
# PROCUREMENT_TRUSTED_PROXIES (addresses or networks, comma-separated; none
# by default, so a client's own header is never believed).
try:
    PROCUREMENT_TRUSTED_PROXIES = tuple(
        ipaddress.ip_network(item.strip(), strict=False)
        for item in os.environ.get("PROCUREMENT_TRUSTED_PROXIES", "").split(",") if item.strip())
except ValueError as exc:
    raise ImproperlyConfigured("PROCUREMENT_TRUSTED_PROXIES must be comma-separated addresses or networks.") from exc
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_address"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not restart it: a guesser cannot keep a user out indefinitely.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No per-login access log: it grows by a row per login and creates a session
# for every token exchange (the API uses tokens, not sessions).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

ROOT_URLCONF = "procurement.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "procurement.wsgi.application"
ASGI_APPLICATION = "procurement.asgi.application"

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if _default_db["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
        # Under ASGI Django runs each request's sync code in a thread of its
        # own, so per-thread persistent connections (CONN_MAX_AGE) open a new
        # connection per request and leak it ("too many clients" under load).
        # A process-wide psycopg pool reuses connections across threads.
        _default_db["CONN_MAX_AGE"] = 0
        from core.dbhealth import OutageAwareConnection

        # Django's backend, its pool's waiters failing fast in an outage (procurement/pgpool/base.py).
        _default_db["ENGINE"] = "procurement.pgpool"
        # A database host that stops answering (no refusal) must not hang a
        # connection attempt forever: the outage breaker hears of it in time.
        _default_db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
        _default_db["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("DB_POOL_MAX_SIZE", 10),
            "timeout": env_int("DB_POOL_TIMEOUT", 20),
            # Its connection attempts open and close the outage breaker (procurement/dbhealth.py).
            "connection_class": OutageAwareConnection,
        }
    DATABASES = {"default": _default_db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock when a transaction starts, so SQLite
            # serialises writers the way row locks do on PostgreSQL.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# While the database is unreachable, requests are answered 503 at once, and one
# request at a time tries it again every this many seconds (procurement/dbhealth.py).
DB_OUTAGE_RETRY_SECONDS = env_float("DB_OUTAGE_RETRY_SECONDS", 2.0)

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Catalogues of the templates, the scripts (djangojs) and the API's error
# details; compiled to .mo by bin/_setup (manage.py compile_catalogues).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- Channels -------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # The pub/sub layer costs one PUBLISH per group_send whatever the
            # group size (the classic layer writes to every member's list).
            "BACKEND": "live.layers.RedisPubSubChannelLayer",  # channels-redis's, bounded during outages
            # Redis pub/sub ignores the database number, so the prefix carries
            # it: deployments (and test runs) on one Redis stay apart.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get(
                "CHANNEL_LAYER_PREFIX", f"asgi.db{urlsplit(REDIS_URL).path.strip('/') or '0'}.")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache (abuse-limit counters) -------------------------------------------
# Shared by every server process through Redis when REDIS_URL is set; one
# process's memory otherwise (a development run).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "tenders"),
            # One pool per process (core/redis_pool.py), not one per request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1,
                        "pool_class": "core.redis_pool.SharedConnectionPool"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The anonymous public read path (register, tender bodies, their pages) from
# this cache, forgotten on every live event (core.public_cache); how long an
# entry may live at most, in seconds; 0 turns it off.
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "300"))

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.CachedContentNegotiation",
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# API tokens (django-rest-knox): stored as SHA-512 digests, the key itself is
# shown once, when it is issued. No expiry unless API_TOKEN_TTL_HOURS is set;
# each user keeps at most API_TOKENS_PER_USER (the oldest go first).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 0)) if env_int("API_TOKEN_TTL_HOURS", 0) else None,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 20)

# Abuse limits (core/throttling.py): attempts per client address and per
# username; over the limit, 429 throttled with Retry-After. Counted by the
# `limits` library in THROTTLE_STORAGE: Redis (REDIS_URL) so that every server
# process shares the counts, each check-and-count one atomic Lua script;
# without Redis, this process's memory (a development run), under a lock.
PROCUREMENT_THROTTLE_STORAGE = os.environ.get("THROTTLE_STORAGE") or REDIS_URL or "memory://"
PROCUREMENT_THROTTLE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "tenders") + ":throttle"
# Each is "<count>/<second|minute|hour|day>", from THROTTLE_<SCOPE>.
_THROTTLE_DEFAULTS = {
    "login_address": "100/hour",  # token and session logins, whatever the username
    "login_username": "20/hour",  # one username, from any address
    "register_address": "20/hour",
    "register_username": "5/hour",
    "bid_address": "600/hour",  # bid submissions and replacements
    "bid_user": "120/hour",
    "question_address": "120/hour",
    "question_user": "30/hour",
    "password_reset_address": "20/hour",  # reset e-mails asked for, whatever the address
    "password_reset_email": "5/hour",  # one e-mail address, known or not, from any client address
    "password_reset_confirm_address": "60/hour",  # reset and confirmation links used
    "password_change_user": "10/hour",  # a signed-in user's password changes (wrong old passwords included)
    "email_confirmation_user": "5/hour",  # confirmation e-mails sent again
}
PROCUREMENT_THROTTLE_RATES = {scope: os.environ.get(f"THROTTLE_{scope.upper()}") or rate
                              for scope, rate in _THROTTLE_DEFAULTS.items()}
for _scope, _rate in PROCUREMENT_THROTTLE_RATES.items():
    _count, _, _period = _rate.partition("/")
    if not (_count.isdigit() and _period[:1] in ("s", "m", "h", "d")):
        raise ImproperlyConfigured(f"THROTTLE_{_scope.upper()} must be like 20/hour, got {_rate!r}")

SPECTACULAR_SETTINGS = {
    "TITLE": "Open tender platform API",
    "DESCRIPTION": (
        "Public procurement with sealed bids, automatic opening at the deadline, "
        "transparent evaluation and a hash-chained audit trail. Errors are JSON "
        '`{"code": "...", "detail": "..."}` with a stable machine code.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets are served from this server, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error responses (and examples) for every operation: procurement/openapi.py
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "procurement.openapi.error_responses",
    ],
    # A tender's and a lot's statuses are two choice sets both named "status".
    "ENUM_NAME_OVERRIDES": {"LotStatusEnum": "tenders.models.LotStatus", "TenderStatusEnum": "tenders.models.Status"},
}

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # Secure by default: production is served over HTTPS; DJANGO_SECURE_COOKIES=0
    # for a plain-HTTP run with DEBUG off.
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
# HSTS is sent only on requests Django sees as HTTPS: behind a TLS-terminating
# proxy that sets X-Forwarded-Proto, turn DJANGO_SECURE_PROXY_SSL_HEADER on too.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
# Plain-HTTP requests are redirected to HTTPS (behind a TLS-terminating proxy,
# with DJANGO_SECURE_PROXY_SSL_HEADER=1, or every request would loop). The
# load balancer's /healthz and /readyz are answered before Django, unredirected.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT")
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Form fields (and any body Django reads whole) at most 2 MB: 413
# request_too_large beyond; over DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) fields
# or DATA_UPLOAD_MAX_NUMBER_FILES (100) files: 400 too_many_fields / too_many_files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploads and request bodies are never spooled to disk (a sealed bid's
# documents in clear): held in memory, and a request over this many bytes is
# refused with 413 request_too_large (procurement/uploads.py).
FILE_UPLOAD_HANDLERS = ["procurement.uploads.MemoryOnlyUploadHandler"]

# --- Email ----------------------------------------------------------------
# Background tasks (notification e-mail): django-tasks' database backend, so a
# task is enqueued in the transaction of the change that causes it; run by
# `python manage.py db_worker` (bin/run starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds to wait before each retry of a failed notification e-mail.
try:
    NOTIFICATION_EMAIL_RETRY_DELAYS = [
        float(v) for v in os.environ.get("NOTIFICATION_EMAIL_RETRY_DELAYS", "60,300,1800,7200").split(",") if v.strip()
    ]
except ValueError as exc:
    raise ImproperlyConfigured("NOTIFICATION_EMAIL_RETRY_DELAYS must be comma-separated seconds.") from exc
# A worker sending a message holds it this long; if it dies mid-send, the
# scheduler hands the message to another worker after that (mail/services.py).
# Keep it above EMAIL_TIMEOUT, or a slow send may be duplicated (same Message-ID).
EMAIL_SEND_LEASE_SECONDS = env_float("EMAIL_SEND_LEASE_SECONDS", 300)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 60)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tenders@localhost")
if os.environ.get("EMAIL_FILE_PATH"):  # for django.core.mail.backends.filebased.EmailBackend
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]

# --- Procurement rules ----------------------------------------------------
DAY = 24 * 3600
# Publication -> submission deadline (default 15 days, as for open tenders).
PROCUREMENT_MIN_SUBMISSION_PERIOD = env_int("PROCUREMENT_MIN_SUBMISSION_PERIOD", 15 * DAY)
# Request for price quotations (tenders.methods.PriceQuotation): the largest
# estimated amount it may be used for (KZT) and its own, shorter minimum
# period. The README ("Procurement methods") says how these map onto
# Kazakhstan's law and how sure that mapping is.
PROCUREMENT_QUOTATION_LIMIT = env_int("PROCUREMENT_QUOTATION_LIMIT", 4000 * 3932)
PROCUREMENT_MIN_QUOTATION_PERIOD = env_int("PROCUREMENT_MIN_QUOTATION_PERIOD", 2 * DAY)
# Amendment -> submission deadline (default 7 days).
PROCUREMENT_MIN_AMENDMENT_PERIOD = env_int("PROCUREMENT_MIN_AMENDMENT_PERIOD", 7 * DAY)
# Award -> complete when no complaint is open (default 10 days).
PROCUREMENT_STANDSTILL_PERIOD = env_int("PROCUREMENT_STANDSTILL_PERIOD", 10 * DAY)
# The live e-auction (DESIGN.md "Live e-auction"), in seconds: from the last
# admission decision of a lot to its auction's start; the opening pause and
# the pause between rounds; one participant's turn. Fixed on each auction
# when it is scheduled.
PROCUREMENT_AUCTION_DELAY = env_int("PROCUREMENT_AUCTION_DELAY", 3600)
PROCUREMENT_AUCTION_PAUSE = env_int("PROCUREMENT_AUCTION_PAUSE", 120)
PROCUREMENT_AUCTION_TURN = env_int("PROCUREMENT_AUCTION_TURN", 120)
PROCUREMENT_OCID_PREFIX = os.environ.get("PROCUREMENT_OCID_PREFIX", "ocds-tndr01")
# Open data (OCDS). Releases are stored when their event happens, so the
# document URLs in them are made from this public address, not a request's.
PROCUREMENT_PUBLIC_URL = os.environ.get("PROCUREMENT_PUBLIC_URL", "http://localhost:8000").rstrip("/")
PROCUREMENT_OCDS_PUBLISHER = os.environ.get("PROCUREMENT_OCDS_PUBLISHER", "Open tender platform")
# Every package's `license` and `publicationPolicy` (README: Open data).
PROCUREMENT_OCDS_LICENSE = os.environ.get("PROCUREMENT_OCDS_LICENSE",
                                          "https://creativecommons.org/licenses/by/4.0/")
PROCUREMENT_OCDS_PUBLICATION_POLICY = os.environ.get(
    "PROCUREMENT_OCDS_PUBLICATION_POLICY", f"{PROCUREMENT_PUBLIC_URL}/api/ocds/publication-policy/")
# Where `manage.py ocds_bulk` writes the daily bulk file (gzipped JSON lines).
PROCUREMENT_OCDS_BULK_DIR = Path(os.environ.get("PROCUREMENT_OCDS_BULK_DIR", str(MEDIA_ROOT / "ocds")))
# PostgreSQL: how long a feed page waits for releases being recorded to commit (then 503 feed_busy).
PROCUREMENT_OCDS_FEED_WAIT = env_float("PROCUREMENT_OCDS_FEED_WAIT", 2.0)
# The buyer's legal time: deadlines are legal moments in this zone, shown
# beside the reader's own zone when they differ (README: Time zones).
# Kazakhstan uses one zone, UTC+5, since 1 March 2024 (tzdata 2024a+).
PROCUREMENT_LEGAL_TIME_ZONE = os.environ.get("PROCUREMENT_LEGAL_TIME_ZONE", "Asia/Almaty")
try:
    ZoneInfo(PROCUREMENT_LEGAL_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as _exc:
    raise ImproperlyConfigured(f"PROCUREMENT_LEGAL_TIME_ZONE is not a known time zone: "
                               f"{PROCUREMENT_LEGAL_TIME_ZONE!r}") from _exc
# A tender's language when the officer does not choose one (kk, ru or en).
PROCUREMENT_DEFAULT_TENDER_LANGUAGE = os.environ.get("PROCUREMENT_DEFAULT_TENDER_LANGUAGE", "ru")
# Tender and bid documents.
PROCUREMENT_MAX_DOCUMENT_BYTES = env_int("PROCUREMENT_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024)
# A whole request (all of a bid's documents together), held in memory.
PROCUREMENT_MAX_REQUEST_BYTES = env_int("PROCUREMENT_MAX_REQUEST_BYTES", 32 * 1024 * 1024)
if PROCUREMENT_MAX_REQUEST_BYTES <= PROCUREMENT_MAX_DOCUMENT_BYTES:
    raise ImproperlyConfigured("PROCUREMENT_MAX_REQUEST_BYTES must be larger than PROCUREMENT_MAX_DOCUMENT_BYTES "
                               "(a request carries a document and its form fields).")
PROCUREMENT_DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/zip": ".zip",
}
# Run the deadline scheduler inside the ASGI server process (one-command
# development run on the in-memory layer); production runs `run_scheduler`.
PROCUREMENT_SCHEDULER_IN_PROCESS = env_bool("PROCUREMENT_SCHEDULER_IN_PROCESS")
PROCUREMENT_SCHEDULER_INTERVAL = env_float("PROCUREMENT_SCHEDULER_INTERVAL", 0.25)
# A failing item (an opening, a completion) is retried after 1 s, doubling up to this many seconds.
PROCUREMENT_SCHEDULER_RETRY_MAX = env_float("PROCUREMENT_SCHEDULER_RETRY_MAX", 300.0)
# Readiness: the scheduler is stale when no pass completed for this long (passes are recorded every 5 s).
PROCUREMENT_SCHEDULER_STALE_AFTER = env_float("PROCUREMENT_SCHEDULER_STALE_AFTER", 30.0)
# /readyz gives up on each of its checks (database, channel layer) after this many seconds.
READINESS_TIMEOUT = env_float("READINESS_TIMEOUT", 2.0)
# The scheduler's jobs (core/scheduler.py runs them; the apps own them): each
# takes the time and returns how many due items it handled. The scheduler
# sleeps until the time PROCUREMENT_SCHEDULER_NEXT_DUE returns for the time
# now (or a failed item's retry, whichever is earlier).
PROCUREMENT_SCHEDULER_JOBS = ["bids.services.open_due", "evaluation.services.complete_due",
                              "auctions.services.advance_due", "mail.services.hand_over_due"]
# One function, or a list of them: the loop wakes at the earliest time any gives.
PROCUREMENT_SCHEDULER_NEXT_DUE = ["bids.services.next_opening_due", "auctions.services.next_stage_due"]
# Called by audit.append with (tender, entry), in the change's transaction:
# the OCDS release of that moment, stored once (opendata sits above audit),
# and the tender's red flags recomputed (integrity.services.record).
PROCUREMENT_AUDIT_RECORDERS = ["opendata.releases.record", "integrity.services.record"]
# The task that sends account e-mail (password reset and address confirmation
# links): the notifications' e-mail queue, which sits above the accounts app.
ACCOUNTS_EMAIL_TASK = "notifications.tasks.send_account_email"
# How long a password reset or e-mail confirmation link works (Django's setting), in seconds.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 3600)
# R024/R058 (integrity): the market's fences are computed only from at least
# this many finished lots with a price gap; with fewer, neither flag is raised.
PROCUREMENT_FLAGS_MIN_MARKET_LOTS = env_int("PROCUREMENT_FLAGS_MIN_MARKET_LOTS", 20)
# R038: the buyers' fence is computed only from at least this many buyers.
PROCUREMENT_FLAGS_MIN_BUYERS = env_int("PROCUREMENT_FLAGS_MIN_BUYERS", 5)
# R025, R048: the suppliers' fences are computed only from at least this many suppliers.
PROCUREMENT_FLAGS_MIN_SUPPLIERS = env_int("PROCUREMENT_FLAGS_MIN_SUPPLIERS", 5)
# R048: the suppliers' fence is computed from suppliers awarded on at least this many tenders.
PROCUREMENT_FLAGS_R048_MIN_PROCESSES = env_int("PROCUREMENT_FLAGS_R048_MIN_PROCESSES", 20)
# Most HTTP requests one ASGI process runs at once (procurement/asgi.py); keep
# it at or below DB_POOL_MAX_SIZE. More threads than that share one GIL: on
# the register benchmark 8 gave p99 185 ms, 4 gave 73 ms at the same req/s.
HTTP_CONCURRENCY = env_int("HTTP_CONCURRENCY", 4)

# Logs: one line per record, JSON by default with DEBUG off (LOG_FORMAT=json|plain),
# each with its request id (procurement/logs.py). Every record goes to the root
# handler once: Django's own console handler (DEBUG) is dropped, so a warning is
# not printed twice, and uvicorn's loggers use the same handler and format.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "procurement.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "procurement.logs.JsonFormatter"},
                   "plain": {"()": "procurement.logs.PlainFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "uvicorn": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        "uvicorn.access": {"handlers": [], "propagate": True},
    },
}
logging.captureWarnings(True)  # Python warnings become log lines in the same format
