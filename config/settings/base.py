"""Settings for every environment, read from the environment.

With no environment at all the portal runs on SQLite with in-process tasks and the console
mail backend (the developer's and the demo's default). Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY and ALLOWED_HOSTS and uses config.settings.production.
"""
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from xstatic.pkg import bootstrap as xstatic_bootstrap

from config.env import envbool, envint, envlist, envnetworks, envstr
from config.errors import init_error_reporting
from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = envbool("DEBUG", default=False)
SECRET_KEY = envstr("SECRET_KEY", "insecure-development-key-only-for-the-embedded-default-0123456789")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# The client address (survey.client_ip): REMOTE_ADDR unless the operator names the proxies in
# front of the application, by number and/or by address; X-Forwarded-For is read only then.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)
TRUSTED_PROXIES = envnetworks("TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "survey",
    "aggregation",
]

MIDDLEWARE = [
    "config.logs.RequestLogMiddleware",  # first: the request id and duration cover everything below
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "survey.middleware.SessionLimitsMiddleware",
    "survey.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "survey.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked login into a 429 (survey.lockouts)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "survey.context_processors.portal",
            ],
            # Django's {% url %}, each URL reversed once per process (survey/templatetags/kept_urls.py)
            "builtins": ["survey.templatetags.kept_urls"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a small team at once (several requests, jobs run in-process):
    # WAL lets readers go on while one connection writes; IMMEDIATE takes the write lock when a
    # transaction begins, so two transactions never both read and then deadlock upgrading to a
    # write (SQLite answers that at once with "database is locked", whatever the timeout); the
    # busy timeout makes the next writer wait its turn instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_BUSY_TIMEOUT", 30),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "survey.User"
# E-mail + password behind django-axes' lock-outs (survey/auth.py, survey/lockouts.py).
AUTHENTICATION_BACKENDS = ["survey.auth.LockoutBackend", "survey.auth.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "survey.hashers.PortalArgon2PasswordHasher",  # Argon2id m=19 MiB t=2 p=1; see survey/hashers.py
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 72  # invitations stay valid for three days

# Sessions: 30 minutes idle, 12 hours in all (both enforced by survey.middleware.SessionLimitsMiddleware).
# The idle expiry is renewed by a request at most once per SESSION_RENEW_SECONDS (not on every
# request: that was a database write per page), so a session ends 29-30 minutes after the last request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = envint("SESSION_RENEW_SECONDS", 60, minimum=0)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_AGE = 12 * 60 * 60
SESSION_WARNING_SECONDS = envint("SESSION_WARNING_SECONDS", 5 * 60)  # warn this long before the idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "survey.views.errors.csrf_failure"  # a Japanese page with a way back

# Login lock-outs (survey/lockouts.py): LOGIN_FAILURE_LIMIT wrong passwords for one account from
# one address lock that pair, LOGIN_FAILURE_LIMIT_PER_IP from one address lock the address, each
# until LOGIN_LOCKOUT_MINUTES after the failures. No lock is per account alone: an attacker
# elsewhere cannot lock an officer out.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURE_LIMIT_PER_IP = envint("LOGIN_FAILURE_LIMIT_PER_IP", 50, minimum=1)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 30, minimum=1)
AXES_HANDLER = "survey.lockouts.PortalAxesHandler"
AXES_FAILURE_LIMIT = "survey.lockouts.failure_limit"  # LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = "survey.lockouts.cool_off"  # LOGIN_LOCKOUT_MINUTES
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "survey.client_ip.client_ip_for_limits"  # IPv6 counted by /64
AXES_USERNAME_CALLABLE = "survey.lockouts.axes_username"
AXES_LOCKOUT_CALLABLE = "survey.lockouts.lockout_response"
AXES_RESET_ON_SUCCESS = False  # else signing in to one's own account would reset the address' count
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the time we tell the user stays true
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in our audit log
AXES_ENABLE_ADMIN = False  # no django.contrib.admin: /manage/lockouts/ shows and lifts locks

# Mails sent on request: (count, seconds) per name, counted in the "ratelimit" cache (survey/ratelimit.py).
MAIL_RATE_LIMITS = {
    "password_reset_address": (3, 60 * 60),
    "password_reset_ip": (10, 60 * 60),
    "invitation_address": (3, 60 * 60),
    "invitation_ip": (60, 60 * 60),
}

# Two-factor sign-in (django-otp): TOTP apps and one-time recovery codes. Wrong codes are limited
# per account (on top of django-otp's growing per-device delay); the roles that must use a second
# factor are a policy in the database (survey.models.TwoFactorPolicy, page /manage/two-factor/).
OTP_TOTP_ISSUER = "調査回答ポータル"
TWO_FACTOR_FAILURE_LIMIT = 5  # wrong codes per account per window
TWO_FACTOR_FAILURE_WINDOW = 15 * 60
TWO_FACTOR_RECOVERY_CODES = 10

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", xstatic_bootstrap.BASE_DIR),
]
# Uploaded answer sheets and generated workbooks live outside the web root and are only ever
# served by views that check permissions first. There is deliberately no MEDIA_URL. Every such
# file goes through the "private" storage (survey/storage.py): a folder on a disk the nodes share,
# or, with PRIVATE_STORAGE_BACKEND set, another Django storage such as django-storages' S3Storage
# (configured by its own AWS_* settings; see README).
PRIVATE_STORAGE_ROOT = Path(envstr("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {"BACKEND": envstr("PRIVATE_STORAGE_BACKEND", "survey.storage.PrivateFileSystemStorage")},
}
if STORAGES["private"]["BACKEND"] == "storages.backends.s3.S3Storage":
    # django-storages (add it to pyproject.toml first); a private bucket, files never public.
    STORAGES["private"]["OPTIONS"] = {
        "bucket_name": envstr("PRIVATE_S3_BUCKET"),
        "endpoint_url": envstr("PRIVATE_S3_ENDPOINT_URL", "") or None,
        "region_name": envstr("PRIVATE_S3_REGION", "") or None,
        "access_key": envstr("PRIVATE_S3_ACCESS_KEY"),
        "secret_key": envstr("PRIVATE_S3_SECRET_KEY"),
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
# When nginx can read the private files (deploy/nginx/chosa-portal.conf, location /_private/),
# downloads are handed to it with X-Accel-Redirect after the permission check.
PRIVATE_X_ACCEL_PREFIX = envstr("PRIVATE_X_ACCEL_PREFIX", "")
if PRIVATE_X_ACCEL_PREFIX and not PRIVATE_X_ACCEL_PREFIX.startswith("/"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"PRIVATE_X_ACCEL_PREFIX must start with /, got {PRIVATE_X_ACCEL_PREFIX!r}")

# Upload bounds. Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count files, so the upload
# paths check UPLOAD_MAX_BYTES themselves.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
BULK_UPLOAD_MAX_BYTES = envint("BULK_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
ZIP_MAX_ENTRIES = envint("ZIP_MAX_ENTRIES", 5000)
ZIP_MAX_TOTAL_BYTES = envint("ZIP_MAX_TOTAL_BYTES", 300 * 1024 * 1024)  # a zip expanded to disk, per upload
# The answer-sheet reader: seconds per file in its child process, sheets per workbook and cells
# spanned across all its sheets (checked before the file is parsed).
READER_TIMEOUT_SECONDS = envint("READER_TIMEOUT_SECONDS", 10)
READER_MAX_SHEETS = envint("READER_MAX_SHEETS", 30)
READER_MAX_CELLS = envint("READER_MAX_CELLS", 2_000_000)
# Attachments: per organisation and round (what is stored, see survey/services/attachments.py),
# and per upload request.
ATTACHMENT_QUOTA_BYTES = envint("ATTACHMENT_QUOTA_BYTES", 50 * 1024 * 1024)
ATTACHMENT_QUOTA_FILES = envint("ATTACHMENT_QUOTA_FILES", 30)
ATTACHMENT_REQUEST_MAX_BYTES = envint("ATTACHMENT_REQUEST_MAX_BYTES", 30 * 1024 * 1024)
ATTACHMENT_REQUEST_MAX_FILES = envint("ATTACHMENT_REQUEST_MAX_FILES", 10)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "調査回答ポータル <noreply@localhost>")
# Links in e-mails. Built from this setting, never from the request's Host header; without it,
# the address scripts/run serves on (PORT, default 8000).
PORTAL_BASE_URL = envstr("PORTAL_BASE_URL", f"http://127.0.0.1:{envint('PORT', 8000)}")

REDIS_URL = envstr("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a job whose worker died is delivered again; job rows make reruns safe
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Scheduled work queued by Celery beat (deploy/systemd/chosa-portal-beat.service, one node only).
# One static tick: what is due is computed from the database each time (survey.services.
# scheduled_reminders explains why this, not django-celery-beat), so a restarted or doubled beat
# changes how often it looks, never what is sent. A tick not taken within its interval expires
# (a later one does the same work).
REMINDER_TICK_SECONDS = envint("REMINDER_TICK_SECONDS", 600, minimum=1)
# Local hour (Asia/Tokyo) from which the prefectures' daily digest goes out.
REMINDER_DIGEST_HOUR = envint("REMINDER_DIGEST_HOUR", 9, minimum=0)
CELERY_BEAT_SCHEDULE: dict = {
    "scheduled-reminders": {"task": "survey.reminders_tick", "schedule": float(REMINDER_TICK_SECONDS),
                            "options": {"expires": float(REMINDER_TICK_SECONDS)}},
}

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "ratelimit": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                      "KEY_PREFIX": "ratelimit"},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
    }
# Jobs whose message never reached Redis (down when they were created, or restarted and its queue
# lost) or whose worker died are queued again (survey.jobs.jobs_requeue_stale).
CELERY_BEAT_SCHEDULE["requeue-stale-jobs"] = {"task": "survey.tasks.requeue_stale_jobs", "schedule": 30.0,
                                              "options": {"expires": 30.0}}
# Expanded zip entries a failed bulk import could not sweep (survey.services.sheets.finished_job_folders_sweep):
# personal data removed within the hour instead of at the next import.
CELERY_BEAT_SCHEDULE["sweep-import-folders"] = {"task": "survey.tasks.sweep_import_folders", "schedule": 3600.0,
                                                "options": {"expires": 3600.0}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every response: scripts and styles only from our static
# files (no inline <script>, on*= handlers or style= attributes anywhere), nothing framed.
# img-src allows data: because Bootstrap's stylesheet draws the check marks of checkboxes and
# radios, the arrows of <select> and the validation icons as data: SVG images; an <img> with a
# data: URL cannot run script. Violations are POSTed to CSP_REPORT_PATH and logged (logger csp).
CSP_REPORT_PATH = "/csp-report/"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "report-uri": [CSP_REPORT_PATH],
    },
}

# Logs go to stderr (journald under systemd). LOG_FORMAT=json writes one JSON object a line;
# LOG_REQUESTS=1 adds one line per request (config/logs.py). Production turns both on.
LOGGING = logging_config(fmt=envstr("LOG_FORMAT", "text"), level=envstr("LOG_LEVEL", "WARNING"),
                         requests=envbool("LOG_REQUESTS", default=False))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING too

# /readyz fails when the private files' or the temporary files' disk has less free space.
READY_MIN_FREE_DISK_MB = envint("READY_MIN_FREE_DISK_MB", 1024)
# Health probes (load balancer, systemd, monitoring) are never redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Errors to a Sentry-compatible server when SENTRY_DSN is set (config/errors.py), else nowhere.
SENTRY_ENABLED = init_error_reporting()
