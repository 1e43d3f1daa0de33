"""Settings of the CQP portal, read from the environment (see README, "Configuration").

``DEBUG`` off is the production profile: SECRET_KEY is required, cookies are secure,
HSTS is on and static files are served compressed by whitenoise.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

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
    "cqp_portal.security.middleware.NoStoreMiddleware",
    "cqp_portal.accounts.mfa.MFAEnforcementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cqp_portal.middleware.DomainErrorMiddleware",
    "cqp_portal.security.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "cqp_portal.urls"
# A refused CSRF check shows the portal's own (French) page, not Django's English default.
CSRF_FAILURE_VIEW = "cqp_portal.security.views.csrf_failure"
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
# Filled at image build time by scripts/build-static (production storage, with its manifest).
STATIC_ROOT = Path(env.get_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
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

# --- Seal of the PDFs (PAdES) and signature of the Open Badges (README "Signed credentials") ---
# One seal for the portal, held for the certifiers (the CPNE): a PKCS#12 file and its password.
# Without one, DEBUG (or SEAL_DEMO=true) generates a labelled demo CA, seal and badge key under
# var/seal/ on first use; otherwise sealing fails and certificates stay pending (never unsigned).
SEAL_DIR = Path(env.get_str("SEAL_DIR", str(VAR_DIR / "seal")))
SEAL_DEMO = env.get_bool("SEAL_DEMO", DEBUG)
SEAL_PKCS12_FILE = env.get_str("SEAL_PKCS12_FILE", "")
SEAL_PKCS12_PASSWORD = env.get_str("SEAL_PKCS12_PASSWORD", "")
if SEAL_PKCS12_FILE and not Path(SEAL_PKCS12_FILE).is_file():
    raise env.ConfigurationError("SEAL_PKCS12_FILE", f"names no readable file: {SEAL_PKCS12_FILE}")
# The roots a seal must chain to (PEM files). Keep a retired root listed after a rotation:
# documents sealed under it stay verifiable.
SEAL_TRUST_ROOTS = env.get_list("SEAL_TRUST_ROOTS", [])
for _root in SEAL_TRUST_ROOTS:
    if not Path(_root).is_file():
        raise env.ConfigurationError("SEAL_TRUST_ROOTS", f"names no readable file: {_root}")
# An RFC 3161 timestamp authority: PAdES B-T instead of B-B.
SEAL_TSA_URL = env.get_url("SEAL_TSA_URL", None, schemes=("http", "https"))
# The Open Badges' Ed25519 key (PEM, PKCS#8) and the public keys of retired ones (PEM), all
# published in /.well-known/did.json so that badges signed before a rotation still verify.
BADGE_SIGNING_KEY_FILE = env.get_str("BADGE_SIGNING_KEY_FILE", "")
BADGE_RETIRED_PUBLIC_KEYS = env.get_list("BADGE_RETIRED_PUBLIC_KEYS", [])
for _name, _files in (
    ("BADGE_SIGNING_KEY_FILE", [BADGE_SIGNING_KEY_FILE]),
    ("BADGE_RETIRED_PUBLIC_KEYS", BADGE_RETIRED_PUBLIC_KEYS),
):
    for _file in filter(None, _files):
        if not Path(_file).is_file():
            raise env.ConfigurationError(_name, f"names no readable file: {_file}")
# Largest PDF accepted by the verification by upload.
VERIFY_UPLOAD_MAX_BYTES = env.get_int("VERIFY_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)

WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Source maps (7 MB of the API docs' bundles) are fetched by developer tools only: compressing
# them doubled the image's collectstatic time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Media (evidence, certificates, minutes, CDC flux, register uploads): the local folder for
# `make run`; S3-compatible object storage (MinIO, S3...) when web and worker processes run on
# several machines. The bucket stays private: every download goes through a view that checks the
# permission policy and streams the object (cqp_portal/storage.py).
MEDIA_STORAGE = env.get_choice("MEDIA_STORAGE", "local", choices=("local", "s3"))
if MEDIA_STORAGE == "s3":
    # django-storages reads these settings under the same names as the environment variables.
    AWS_STORAGE_BUCKET_NAME = env.get_str("AWS_STORAGE_BUCKET_NAME", "")
    if not AWS_STORAGE_BUCKET_NAME:
        raise env.ConfigurationError("AWS_STORAGE_BUCKET_NAME", "is required when MEDIA_STORAGE is s3")
    AWS_S3_ENDPOINT_URL = env.get_url("AWS_S3_ENDPOINT_URL", None, schemes=("http", "https"))
    # Unset: boto3's own chain (instance role, ~/.aws); MinIO and most providers need both.
    AWS_ACCESS_KEY_ID = env.get_str("AWS_ACCESS_KEY_ID", None)
    AWS_SECRET_ACCESS_KEY = env.get_str("AWS_SECRET_ACCESS_KEY", None)
    AWS_S3_REGION_NAME = env.get_str("AWS_S3_REGION_NAME", None)
    # MinIO and other self-hosted servers are addressed by path (no DNS name per bucket).
    AWS_S3_ADDRESSING_STYLE = env.get_choice(
        "AWS_S3_ADDRESSING_STYLE", "path" if AWS_S3_ENDPOINT_URL else "auto", choices=("auto", "path", "virtual")
    )
    MEDIA_STORAGE_BACKEND = {"BACKEND": "cqp_portal.storage.PrivateS3Storage"}
else:
    MEDIA_STORAGE_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": MEDIA_STORAGE_BACKEND,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In debug, e-mails are written as files under var/mail/ (one file per run of a process) rather than
# printed: `make run` stays readable and every notification of the demo can still be read.
EMAIL_BACKEND = env.get_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env.get_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
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
    # VAE admissibility: reminders before the 2-month deadline, deemed admissible after it.
    "candidates-watch-admissibility": {
        "task": "candidates.tasks.watch_admissibility_deadlines",
        "schedule": crontab(hour=6, minute=15),
    },
    # Accrochage within 3 months (domain.md): reminders to the branch at 60 and 80 days, once each.
    "certificates-cdc-deadlines": {"task": "certificates.cdc_flag_deadlines", "schedule": crontab(hour=6, minute=15)},
    # Registration at the RNCP/RS ending: reminders to the branch at 12 and 6 months, once each.
    "certifications-registration-renewals": {
        "task": "certifications.flag_ending_registrations",
        "schedule": crontab(hour=6, minute=30),
    },
}

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with a WWW-Authenticate header.
        # Both refuse the roles that require the second factor until it is given.
        "cqp_portal.accounts.api_auth.TokenAuthentication",
        "cqp_portal.accounts.api_auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies bounded in size and depth (cqp_portal.parsers); forms and uploads keep
    # Django's limits (DATA_UPLOAD_MAX_MEMORY_SIZE, EVIDENCE_MAX_BYTES).
    "DEFAULT_PARSER_CLASSES": [
        "cqp_portal.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    # /verify/<code>.json is a plain Django view (public, outside /api/v1/): added by a hook.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "juries.certificates.schema_public.add_public_verification",
    ],
}

# Shared by every web process in production (login throttling, rate limits): Redis. Without
# it each process would count login attempts on its own and the limits would multiply with the
# number of workers: the production profile refuses to start without it.
CACHE_URL = env.get_url("CACHE_URL", None, schemes=("redis", "rediss"))
if not DEBUG and not CACHE_URL:
    raise env.ConfigurationError(
        "CACHE_URL", "is required when DEBUG is off (redis://host:6379/1, shared by all web processes)"
    )
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
