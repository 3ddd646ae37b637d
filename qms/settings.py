"""Project settings: one file, every knob read from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _secret(name: str, value: str, *, what: str) -> str:
    """A secret from the environment: required when DEBUG is off, a throw-away value in development."""
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} must be set when DEBUG is off ({what}). Set {name} in the environment (or DEBUG=true for local development)."
        )
    return f"insecure-development-{name.lower().replace('_', '-')}-do-not-use-in-production"


SECRET_KEY = _secret("SECRET_KEY", env.str("SECRET_KEY", default=""), what="it signs sessions and tokens")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so that its `createsuperuser` (with --for-someone-else) overrides Django's.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_htmx",
    "qms",
    "audit",
    "workflows",
    "documents",
    "training",
    "deviations",
    "capa",
    "imports",
    "validation",
    "search",
    "ai",
    "dashboard",
    "notifications",
    "monitoring",
]
# A test run (pytest sets PYTEST_VERSION) also installs a test-only app: a minimal controlled record
# type proving the workflow kit works for any model (workflows/tests/testapp).
if os.environ.get("PYTEST_VERSION"):
    INSTALLED_APPS.append("workflows.tests.testapp")

MIDDLEWARE = [
    "qms.middleware.RequestIDMiddleware",
    "monitoring.middleware.RequestMetricsMiddleware",
    "qms.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.AccountControlsMiddleware",
    "qms.middleware.RateLimitHeadersMiddleware",
]

ROOT_URLCONF = "qms.urls"
WSGI_APPLICATION = "qms.wsgi.application"
ASGI_APPLICATION = "qms.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qms.context_processors.navigation",
                "accounts.context_processors.account_controls",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# The owner of the tables: `manage.py migrate` connects with it when the application itself runs as
# a role that owns nothing (see `manage.py setup_database_roles` and the README's deployment notes).
DATABASE_OWNER = env.db("DATABASE_OWNER_URL") if env.str("DATABASE_OWNER_URL", default="") else None
# Django's engines plus a pre-commit hook (qms.db.before_commit): the audit trail appends a use
# case's events at the end of its transaction, so the chain head is locked only briefly.
_ENGINES_WITH_HOOKS = {
    "django.db.backends.postgresql": "qms.db.backends.postgresql",
    "django.db.backends.sqlite3": "qms.db.backends.sqlite3",
}
for _database in [DATABASES["default"], DATABASE_OWNER or {"ENGINE": ""}]:
    _database["ENGINE"] = _ENGINES_WITH_HOOKS.get(_database["ENGINE"], _database["ENGINE"])
    _database.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "qms.db.backends.postgresql" and not env.bool("DB_JIT", default=False):
    # PostgreSQL's JIT compiles queries the planner deems expensive (counts over large tables, the
    # dashboard's KPIs): seconds of compilation for queries that run in milliseconds. Off for this
    # short-query workload unless DB_JIT=true.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "qms.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once (dev server + eager Celery).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator"},
    {"NAME": "accounts.passwords.PasswordHistoryValidator"},
]

# Account lockout (failed logins and failed signature re-authentication both count).
LOGIN_MAX_FAILED_ATTEMPTS = env.int("LOGIN_MAX_FAILED_ATTEMPTS", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
REGISTRATION_ENABLED = env.bool("REGISTRATION_ENABLED", default=False)
# Shortest reason accepted for a change that needs one (audit trail, GMP): "0" or "x" says nothing.
REASON_MIN_LENGTH = env.int("REASON_MIN_LENGTH", default=10)
# Role given to self-registered users.
REGISTRATION_DEFAULT_ROLE = env.str("REGISTRATION_DEFAULT_ROLE", default="User")

# Account controls (21 CFR 11.300, EU GMP Annex 11 §12; accounts.passwords, accounts.sessions,
# accounts.inactivity, accounts.alerts). 0 turns an ageing, history, idle or inactivity rule off.
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
PASSWORD_EXPIRY_WARNING_DAYS = env.int("PASSWORD_EXPIRY_WARNING_DAYS", default=14)
PASSWORD_HISTORY = env.int("PASSWORD_HISTORY", default=5)
SESSION_IDLE_MINUTES = env.float("SESSION_IDLE_MINUTES", default=15)
SESSION_IDLE_WARNING_SECONDS = env.int("SESSION_IDLE_WARNING_SECONDS", default=120)
ACCOUNT_INACTIVITY_DAYS = env.int("ACCOUNT_INACTIVITY_DAYS", default=90)
FAILED_ATTEMPTS_ALERT_THRESHOLD = env.int("FAILED_ATTEMPTS_ALERT_THRESHOLD", default=5)
FAILED_ATTEMPTS_ALERT_WINDOW_MINUTES = env.int("FAILED_ATTEMPTS_ALERT_WINDOW_MINUTES", default=60)
# Who tells the administrators (called after commit through the event outbox; a dotted path, so the
# accounts app imports no module above it). The default makes an urgent notification for every active
# user administrator, in the app and by email (accounts.alerts.email_administrators: email only).
ACCOUNT_ALERT_NOTIFIER = env.str("ACCOUNT_ALERT_NOTIFIER", default="notifications.alerts.notify_administrators")

# --- Audit trail ------------------------------------------------------------------------------------
# The hash chain of the audit trail is keyed (HMAC-SHA256) with a key that is NOT stored in the
# database, so whoever can write the database but not read this environment cannot re-hash a
# rewritten history. Keep it apart from SECRET_KEY; rotate by moving it to AUDIT_HMAC_OLD_KEYS
# (events keep naming the key that sealed them) and setting a new one.
AUDIT_HMAC_KEY = _secret(
    "AUDIT_HMAC_KEY",
    env.str("AUDIT_HMAC_KEY", default=""),
    what="a long random string, different from SECRET_KEY, that seals the audit trail",
)
if AUDIT_HMAC_KEY == SECRET_KEY:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must differ from SECRET_KEY.")
AUDIT_HMAC_OLD_KEYS = env.list("AUDIT_HMAC_OLD_KEYS", default=[])
# Signed checkpoints of the chain (sequence and head hash) are appended here, outside the database.
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "audit-checkpoints"))
AUDIT_CHECKPOINT_MINUTES = env.int("AUDIT_CHECKPOINT_MINUTES", default=60)
# Who re-authenticates a signer (password, lockout counting): the accounts app.
AUDIT_SIGNER_AUTHENTICATOR = "accounts.services.authenticate_signer"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=50)
# A printed controlled copy is valid until the next periodic review, at most this many hours (0: until the review).
CONTROLLED_COPY_VALID_HOURS = env.int("CONTROLLED_COPY_VALID_HOURS", default=24)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

STORAGE_TYPE = env.str("STORAGE_TYPE", default="local")
if STORAGE_TYPE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
elif STORAGE_TYPE == "gcs":
    _default_storage = {
        "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
        "OPTIONS": {"bucket_name": env.str("GS_BUCKET_NAME", default=""), "file_overwrite": False},
    }
elif STORAGE_TYPE == "local":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"STORAGE_TYPE must be local, s3 or gcs, not {STORAGE_TYPE!r}.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Cache, Celery -------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qms"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None) or None
# Without a broker every task runs in-process, so `make run` needs no Redis.
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env.str("CELERY_BROKER_URL", default=""))
)
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TASK_DEFAULT_RETRY_DELAY = 10
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs (Celery beat); each module below adds its own entries.
CELERY_BEAT_SCHEDULE = {
    "audit-checkpoint": {"task": "audit.tasks.write_checkpoint", "schedule": AUDIT_CHECKPOINT_MINUTES * 60.0},
    "disable-inactive-accounts": {
        "task": "accounts.tasks.disable_inactive_accounts",
        "schedule": timedelta(hours=24),
        "options": {"expires": 3600},
    },
}

# --- Training ---------------------------------------------------------------------------------------
# Open assignments due within this many days are "due soon" (matrix, dashboard).
TRAINING_DUE_SOON_DAYS = env.int("TRAINING_DUE_SOON_DAYS", default=7)
# Retraining assignments are created this many days before a completion expires.
TRAINING_RETRAINING_LEAD_DAYS = env.int("TRAINING_RETRAINING_LEAD_DAYS", default=30)

# --- Dashboard --------------------------------------------------------------------------------------
# Effective documents whose periodic review falls within this many days count as "review due" (KPIs).
DASHBOARD_REVIEW_DAYS = env.int("DASHBOARD_REVIEW_DAYS", default=30)

# --- Domain events (qms.events: transactional outbox) ---------------------------------------------
# A failing handler is retried after EVENTS_RETRY_DELAY_SECONDS, doubled per attempt (at most an
# hour), until EVENTS_MAX_ATTEMPTS; then its delivery is failed until `manage.py redeliver_events`.
EVENTS_MAX_ATTEMPTS = env.int("EVENTS_MAX_ATTEMPTS", default=8)
EVENTS_RETRY_DELAY_SECONDS = env.int("EVENTS_RETRY_DELAY_SECONDS", default=30)
# Beat runs the outbox sweep this often; it delivers events still undelivered this long after they
# occurred (e.g. the broker was down at commit) and retries that are due.
EVENTS_SWEEP_SECONDS = max(env.int("EVENTS_SWEEP_SECONDS", default=60), 1)
# Delivered events older than this are deleted daily (0 keeps them); the audit trail is the record.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=90)
# Periodic jobs run by `celery -A qms beat` (`make beat`); each is idempotent, so a missed or
# doubled run does no harm. A sweep no worker took before the next one was due expires (a stopped
# worker does not pile them up).
CELERY_BEAT_SCHEDULE.update(
    {
        "sweep-event-outbox": {
            "task": "qms.events.sweep_outbox",
            "schedule": timedelta(seconds=EVENTS_SWEEP_SECONDS),
            "options": {"expires": EVENTS_SWEEP_SECONDS},
        },
        "prune-event-outbox": {"task": "qms.events.prune_outbox", "schedule": timedelta(days=1), "options": {"expires": 3600}},
        "training-mark-overdue": {"task": "training.tasks.mark_overdue_assignments", "schedule": crontab(minute=5)},
        # Effectiveness reviews whose planned date has come (capa.effectiveness_due, once per review).
        "capa-flag-due-effectiveness-reviews": {
            "task": "capa.tasks.flag_due_effectiveness_reviews",
            "schedule": crontab(hour=6, minute=15),
        },
        "training-create-retraining": {
            "task": "training.tasks.create_retraining_assignments",
            "schedule": crontab(hour=1, minute=30),
        },
        # Records whose indexing waited for the vector store (Chroma was down when their event came).
        "search-index-pending": {
            "task": "search.tasks.index_pending",
            "schedule": timedelta(minutes=5),
            "options": {"expires": 300},
        },
    }
)

# --- Notifications, reminders, webhooks (notifications app) ----------------------------------------
# Absolute links in emails: the address users reach the site at (e.g. https://qms.example.com).
SITE_URL = env.str("SITE_URL", default="")
# Deviations and CAPA actions due within this many days are reminded as "due soon" (training: TRAINING_DUE_SOON_DAYS).
NOTIFICATIONS_DUE_SOON_DAYS = env.int("NOTIFICATIONS_DUE_SOON_DAYS", default=3)
# Periodic document reviews are reminded this many days before the next review date.
NOTIFICATIONS_REVIEW_DAYS_AHEAD = env.int("NOTIFICATIONS_REVIEW_DAYS_AHEAD", default=30)
# Hour (UTC) of the daily digest email and of the daily reminders run.
NOTIFICATIONS_DIGEST_HOUR = env.int("NOTIFICATIONS_DIGEST_HOUR", default=6)
# Webhooks: seconds per HTTP attempt, attempts in all, first retry delay (×4 per attempt, ±20 % jitter:
# 10 s, 40 s, 160 s, 640 s, 2560 s, about an hour over 6 attempts).
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=6)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=10.0)
# Allow webhook URLs on private, loopback and link-local addresses (SSRF protection off): only for
# receivers inside a trusted network.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-reminders": {
            "task": "notifications.tasks.send_reminders",
            "schedule": crontab(hour=NOTIFICATIONS_DIGEST_HOUR, minute=15),
            "options": {"expires": 3600},
        },
        "notifications-daily-digest": {
            "task": "notifications.tasks.send_daily_digests",
            "schedule": crontab(hour=NOTIFICATIONS_DIGEST_HOUR, minute=45),
            "options": {"expires": 3600},
        },
        "notifications-pending-emails": {
            "task": "notifications.tasks.send_pending_emails",
            "schedule": timedelta(minutes=5),
            "options": {"expires": 300},
        },
        "webhooks-retry-due": {
            "task": "notifications.tasks.retry_due_webhooks",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 60},
        },
    }
)

# --- Monitoring (monitoring app) ----------------------------------------------------------------------
# GET /metrics (Prometheus text format) answers a request with `Authorization: Bearer <METRICS_TOKEN>`
# or from an address in METRICS_ALLOWED_NETWORKS (CIDRs); with neither set it answers nobody.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])

# --- REST API ---------------------------------------------------------------------------------
THROTTLE_AUTH_RATE = env.str("THROTTLE_AUTH_RATE", default="10/min")
THROTTLE_USER_RATE = env.str("THROTTLE_USER_RATE", default="1000/min")
THROTTLE_ANON_RATE = env.str("THROTTLE_ANON_RATE", default="120/min")
# AI assistant calls per user (chat, generate, analyze).
AI_RATE_LIMIT = env.str("AI_RATE_LIMIT", default="20/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ActiveUserJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["qms.api.permissions.HasPermission"],
    "DEFAULT_PAGINATION_CLASS": "qms.api.pagination.EnvelopePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "qms.api.filters.QueryFilterBackend",
        "qms.api.sorting.SortFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "qms.api.throttling.UserRateThrottle",
        "qms.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth": THROTTLE_AUTH_RATE,
        "user": THROTTLE_USER_RATE,
        "anon": THROTTLE_ANON_RATE,
        "ai": AI_RATE_LIMIT,
    },
    "DEFAULT_PARSER_CLASSES": [
        "qms.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "qms.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None) if env.str("NUM_PROXIES", default="") else None,
}

ACCESS_TOKEN_MINUTES = env.int("ACCESS_TOKEN_MINUTES", default=30)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a fingerprint of the password hash: a password change revokes them all.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "QMS API",
    "DESCRIPTION": (
        "Electronic quality management system for GMP-regulated companies. "
        "Authenticate with POST /api/auth/token and send `Authorization: Bearer <access_token>`. "
        "Lists return {items, page, page_size, total, pages}; errors return {detail, error_code}; "
        "validation errors are 422 with {detail: [{loc, msg, type}]}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    # Enum component names where several fields called `status` (or `state`) have different choices.
    "ENUM_NAME_OVERRIDES": {
        "ConnectionStateEnum": "qms.health.CONNECTION_STATES",
        "TrainingProgramStatusEnum": "training.models.ProgramStatus",
        "NewTrainingProgramStatusEnum": [("DRAFT", "Draft"), ("PUBLISHED", "Published")],
        "TrainingAssignmentStatusEnum": "training.models.AssignmentStatus",
        "TrainingRegistrationStatusEnum": "training.models.RegistrationStatus",
        "TrainingMatrixCellStatusEnum": "training.selectors.CellStatus.ALL",
        # Deviation severities ("High") and the assistant's finding severities ("high") differ.
        "DeviationSeverityEnum": "deviations.models.Severity",
        "FindingSeverityEnum": "ai.serializers.FINDING_SEVERITIES",
        "CapaTypeEnum": "capa.models.CapaType",
        "CapaSourceEnum": "capa.models.CapaSource",
        "CapaActionStatusEnum": "capa.models.ActionStatus",
        "NotificationTypeEnum": "notifications.kinds.NotificationType",
        "NotificationDeliveryEnum": "notifications.kinds.Delivery",
        "WebhookDeliveryStatusEnum": "notifications.models.WebhookDeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qms.api.schema.normalise_paths",
        "qms.api.schema.document_errors",
    ],
    # Swagger UI and ReDoc assets are served from the installed sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl null: Swagger UI would otherwise load a badge from an external validator.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "deepLinking": True, "validatorUrl": None},
}

# --- CORS and security ----------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("BACKEND_CORS_ORIGINS", default=["http://localhost:3000"])
CORS_EXPOSE_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Content-Disposition",
    "X-Content-SHA256",
]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
# HTTPS only when DEBUG is off: plain-HTTP requests are redirected (the health check stays reachable
# over HTTP for load balancers and the container healthcheck), and browsers are told to use HTTPS for
# a year (HSTS). Behind a TLS-terminating proxy also set BEHIND_TLS_PROXY so requests count as HTTPS.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/health/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Email -----------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="qms@localhost")

# --- Search and AI ------------------------------------------------------------------------------------
CHROMA_PATH = env.str("CHROMA_PATH", default=str(BASE_DIR / "chroma"))
CHROMA_URL = env.str("CHROMA_URL", default="")
# Embeddings: "local" (the offline ONNX model) or "openai" (OPENAI_EMBEDDING_MODEL at OPENAI_BASE_URL).
EMBEDDING_BACKEND = env.str("EMBEDDING_BACKEND", default="local")
# A folder with model.onnx and tokenizer.json; empty: the installed model packages (requirements-model.txt).
EMBEDDING_MODEL_DIR = env.str("EMBEDDING_MODEL_DIR", default="")
EMBEDDING_MODEL_SHA256 = env.str(
    "EMBEDDING_MODEL_SHA256", default="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
)
# Stored with the vectors: changing the model (name) makes `manage.py reindex` necessary.
EMBEDDING_MODEL_NAME = env.str("EMBEDDING_MODEL_NAME", default="all-MiniLM-L6-v2-int8")
EMBEDDING_THREADS = env.int("EMBEDDING_THREADS", default=0)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=32)
OPENAI_EMBEDDING_MODEL = env.str("OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
# The assistant is on when a key is set, unless AI_ENABLED=false.
AI_ENABLED = env.bool("AI_ENABLED", default=True)
AI_TIMEOUT_SECONDS = env.float("AI_TIMEOUT_SECONDS", default=30.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=2)
# Characters of document text per model call; longer documents are analysed part by part.
AI_CONTEXT_CHARS = env.int("AI_CONTEXT_CHARS", default=12000)

# --- Validation package (manage.py validation_report, installation_check) ------------------------
# Where `make validation` and CI keep the report; the Validation page shows the latest one from here.
VALIDATION_REPORT_DIR = env.str("VALIDATION_REPORT_DIR", default=str(BASE_DIR / "reports"))
# The commit the reports name when the installation has no .git (e.g. a container image).
QMS_COMMIT = env.str("QMS_COMMIT", default="")

# --- Logging ----------------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "qms.middleware.RequestIDLogFilter"}},
    "formatters": {
        "standard": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "standard", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
