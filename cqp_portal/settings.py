"""Settings of the CQP portal, read from the environment (see README, "Configuration").

``DEBUG`` off is the production profile: SECRET_KEY is required, cookies are secure,
HSTS is on and static files are served compressed by whitenoise.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from cqp_portal import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env.get_bool("DEBUG", False)

SECRET_KEY = env.get_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise env.ConfigurationError("SECRET_KEY", "is required when DEBUG is off (50+ random characters)")
    SECRET_KEY = "development-only-key-never-used-in-production-0123456789-abcdefghij"  # noqa: S105 (DEBUG only)
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise env.ConfigurationError("SECRET_KEY", "is too weak: use at least 50 random characters")

ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise env.ConfigurationError("ALLOWED_HOSTS", "is required when DEBUG is off (comma-separated host names)")
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

SITE_URL = (env.get_url("SITE_URL", "http://127.0.0.1:8000", schemes=("http", "https")) or "").rstrip("/")

INSTALLED_APPS = [
    "cqp_portal.accounts",
    "cqp_portal.audit",
    "cqp_portal.security",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "certifications",
    "candidates",
    "juries",
    "juries.certificates",
    "financing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cqp_portal.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cqp_portal.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cqp_portal.accounts.mfa.MFAEnforcementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cqp_portal.middleware.DomainErrorMiddleware",
    "cqp_portal.security.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "cqp_portal.urls"
WSGI_APPLICATION = "cqp_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cqp_portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.get_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cqp_portal.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.get_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# SQLite (make run) cannot enforce NULLS NOT DISTINCT; PostgreSQL (production, tests) does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# TOTP for staff, branch administrators and jury members; on by default in production.
MFA_REQUIRED = env.get_bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Portail CQP"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# Root catalog (base templates, cqp_portal) + one per app template folder; app code has <app>/locale.
LOCALE_PATHS = [BASE_DIR / "locale", *sorted((BASE_DIR / "templates").glob("*/locale"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Evidence and certificates are personal data: never under STATIC_ROOT, never served by
# whitenoise; they are downloaded through views that check the permission policy.
PROTECTED_MEDIA_URL = None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
EVIDENCE_MAX_BYTES = env.get_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# GDPR storage limitation (art. 5.1.e): evidence files are erased this long after the path
# reached a final state; candidates without activity for this long are anonymised.
# Branch statistics aggregate every path of the branches (0.4–0.9 s at national volume,
# bench/RESULTS.md): computed once per scope, period and language, then served from the cache
# for this many seconds (0: computed on every request, the default with DEBUG).
STATISTICS_CACHE_SECONDS = env.get_int("STATISTICS_CACHE_SECONDS", 0 if DEBUG else 300)
EVIDENCE_RETENTION_DAYS = env.get_int("EVIDENCE_RETENTION_DAYS", 2 * 365, minimum=1)
INACTIVE_CANDIDATE_RETENTION_DAYS = env.get_int("INACTIVE_CANDIDATE_RETENTION_DAYS", 3 * 365, minimum=1)

WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = env.get_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.get_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.get_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.get_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.get_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "Portail CQP <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery: unset broker means tasks run in-process (embedded default) ---
CELERY_BROKER_URL = env.get_url("CELERY_BROKER_URL", None, schemes=("redis", "rediss"))
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.get_url("CELERY_RESULT_BACKEND", CELERY_BROKER_URL, schemes=("redis", "rediss"))
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
# acks_late alone loses a task whose child process is killed: reject it back to the queue.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Above the longest task + countdown, or a slow task would be delivered twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_IMPORTS = ["cqp_portal.tasks"]
CELERY_BEAT_SCHEDULE = {
    "audit-heartbeat": {"task": "cqp_portal.tasks.heartbeat", "schedule": crontab(minute="*/15")},
    # Re-queues certificates still pending (broker down at commit time, lost worker).
    "certificates-sweep-pending": {"task": "certificates.sweep_pending", "schedule": crontab(minute="*/5")},
    "juries-flag-expiring-blocks": {"task": "juries.tasks.flag_expiring_blocks", "schedule": crontab(hour=6, minute=0)},
    "gdpr-apply-retention": {"task": "security.apply_retention", "schedule": crontab(hour=3, minute=30)},
    # Accrochage within 3 months (domain.md): reminders to the branch at 60 and 80 days, once each.
    "certificates-cdc-deadlines": {"task": "certificates.cdc_flag_deadlines", "schedule": crontab(hour=6, minute=15)},
}

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "cqp_portal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "cqp_portal.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "cqp_portal.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "10/min", "verify": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CQP portal API",
    "DESCRIPTION": "Référentiels, candidate paths, juries, certificates and financing of CQP / CQPI.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" field with different choices: name each enum explicitly.
    "ENUM_NAME_OVERRIDES": {"ModalityKindEnum": "certifications.models.ModalityKind"},
}

# Shared by every web process in production (login throttling, rate limits): Redis.
CACHE_URL = env.get_url("CACHE_URL", None, schemes=("redis", "rediss"))
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Sessions read from Redis, written through to the database (one query less per request).
# Only with a shared cache: a per-process cache would keep a logged-out session alive in the
# other processes.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if CACHE_URL else "django.contrib.sessions.backends.db"

# --- Security (production profile when DEBUG is off) ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.get_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_personal_data": {"()": "cqp_portal.security.logging.RedactPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_personal_data"]}
    },
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
