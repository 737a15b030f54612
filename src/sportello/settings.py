"""Settings, all from the environment, so one box and a cluster run the same code."""

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SPORTELLO_DATA_DIR", BASE_DIR.parent.parent / "var"))
# The database, attachments, queue, cache and keys inside are the clients' data: only the
# account Sportello runs as may enter (the `sportello` command and wsgi.py also set umask
# 077, so what SQLite and the queue create is 0600).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if DATA_DIR.stat().st_uid == os.getuid():
    DATA_DIR.chmod(0o700)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG")
TESTING = env_bool("TESTING") or "pytest" in sys.modules

# Ticket attachments. A test run keeps its own folder, named in the environment so the
# commands it starts write to the same one: two runs side by side (the test command's
# SQLite and PostgreSQL passes) never see each other's files.
if TESTING and "pytest" in sys.modules:
    os.environ.setdefault(
        "SPORTELLO_ATTACHMENTS_DIR", str(DATA_DIR / f"attachments-test-{os.getpid()}")
    )
ATTACHMENTS_DIR = Path(os.environ.get("SPORTELLO_ATTACHMENTS_DIR", DATA_DIR / "attachments"))


def key_in_data_dir(name: str, make) -> str:
    """A key generated once into the data directory, readable by its owner only; two
    processes starting together agree on the first one written."""
    key_file = DATA_DIR / name
    if not key_file.exists():
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(make())
    return key_file.read_text().strip()


# With DEBUG too: a key everybody knows would let anyone forge sessions and reset links.
SECRET_KEY = os.environ.get("SECRET_KEY") or key_in_data_dir(
    "secret_key", lambda: get_random_string(64)
)

ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed: login
# throttling and the audit log then see the client's address, not the proxy's.
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "huey.contrib.djhuey",
    "sportello.core",
    "sportello.accounts",
    "sportello.catalog",
    "sportello.services",
    "sportello.billing",
    "sportello.einvoice",
    "sportello.payments",
    "sportello.automation",
    "sportello.helpdesk",
    "sportello.servers",
    "sportello.extra",
    "sportello.privacy",
    "sportello.mail",
    "sportello.kb",
    "sportello.provisioning",
    "sportello.orders",
    "sportello.portal",
    "sportello.desk",
    "sportello.reports",
    "ninja",
    "sportello.api",
    "sportello.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, which answers for static files before it; a response that sets its
    # own policy (attachments: sandbox) keeps it.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sportello.accounts.middleware.UserLanguageMiddleware",
    # Inside the language middlewares: the page's language is the user's.
    "sportello.core.middleware.DateArticleMiddleware",
    "sportello.accounts.middleware.StaffTwoFactorMiddleware",
    "sportello.accounts.impersonation.ImpersonationMiddleware",
    # Last, so its 413 page is in the user's language; it reads no body itself.
    "sportello.helpdesk.uploads.UploadSizeMiddleware",
]

ROOT_URLCONF = "sportello.urls"
WSGI_APPLICATION = "sportello.wsgi.application"

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
                "django.template.context_processors.i18n",
                "sportello.core.context_processors.provider",
            ],
            # `|money` and `|number` in every template, pages, PDFs and emails alike.
            "builtins": ["sportello.core.templatetags.formatting"],
        },
    },
]

# Django's renderer, with the common widgets written in Python (the same HTML, faster).
FORM_RENDERER = "sportello.core.form_renderer.FormRenderer"

# --- Database: SQLite on one box, PostgreSQL when DATABASE_URL says so.
DATABASE_URL = os.environ.get("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "sportello.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on
                # busy_timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so tests can start other processes on the same database;
            # one per test run, so runs side by side do not share it.
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login throttling) and task queue: Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL")
# The test suite's own queue: a test that flushes it never touches what a running worker
# of the same checkout has pending.
QUEUE_NAME = "sportello-test" if TESTING else "sportello"
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("HUEY_NAME", QUEUE_NAME),
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    # A file cache is shared by every process on the box, so login throttling holds
    # across web workers without a cache server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": QUEUE_NAME,
        "filename": str(DATA_DIR / ("huey-test.sqlite3" if TESTING else "huey.sqlite3")),
        "immediate": False,
    }
# No task's return value is read; stored, they were kept in the queue forever, one a task.
HUEY["results"] = False
HUEY["consumer"] = {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"}
if TESTING or env_bool("HUEY_IMMEDIATE"):
    HUEY["immediate"] = True

# --- Authentication
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
ACCOUNT_ADAPTER = "sportello.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "sportello.accounts.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins are slowed per (account, address) by accounts.throttle instead of
    # allauth's per-account lock, which let anyone lock the owner out.
    "login_failed": False,
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}
ACCOUNT_EMAIL_NOTIFICATIONS = True
# The terms of service and the privacy notice a client accepts on signing up: a new version
# is a new string here; each acceptance is stored with the version it was given for.
TERMS_VERSION = os.environ.get("TERMS_VERSION", "2026-01")
PRIVACY_VERSION = os.environ.get("PRIVACY_VERSION", "2026-01")
# Where the documents are read; by default short pages of the panel itself.
TERMS_URL = os.environ.get("TERMS_URL", "/legal/terms/")
PRIVACY_URL = os.environ.get("PRIVACY_URL", "/legal/privacy/")
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # reset links last a day and work once
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "sportello.accounts.adapter.MFAAdapter"


def _mfa_encryption_keys() -> list[bytes]:
    """Fernet keys for two-factor secrets: MFA_ENCRYPTION_KEYS (comma-separated, the first
    encrypts, the others only decrypt), else one generated into the data directory."""
    if keys := os.environ.get("MFA_ENCRYPTION_KEYS"):
        return [key.strip().encode() for key in keys.split(",") if key.strip()]
    from cryptography.fernet import Fernet

    return [key_in_data_dir("mfa_key", lambda: Fernet.generate_key().decode()).encode()]


MFA_ENCRYPTION_KEYS = _mfa_encryption_keys()
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Sportello")

# --- HTTPS: behind a reverse proxy that terminates TLS, HTTPS=1 turns on what assumes it.
# The proxy must set X-Forwarded-Proto itself (overwriting what the client sent), since
# Django then believes it to tell an HTTPS request from a plain one.
HTTPS = env_bool("HTTPS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
# Subdomains may be other people's sites still on plain HTTP: only when asked.
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("HSTS_INCLUDE_SUBDOMAINS")
SESSION_COOKIE_HTTPONLY = True
# SECURE_COOKIES alone (secure cookies without the redirect and HSTS) still works.
SESSION_COOKIE_SECURE = HTTPS or env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts come from our static files or from inline blocks carrying the response's nonce
# (`nonce="{{ request.csp_nonce }}"`); no style attributes, event-handler attributes or
# javascript: URLs run. htmx is told not to inject its indicator styles (base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Languages: Italian first, then English and Spanish.
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language (sportello/formats/<language>/formats.py).
FORMAT_MODULE_PATH = "sportello.formats"
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Rome")

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Attachments are clients' files: the owner only, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Uploads: the attachment limits (help-desk settings) are applied while the body streams
# in, before Django's own handlers keep anything; files above 1 MB go to a temporary file
# rather than memory. The form fields around the files stay under 2.5 MB.
FILE_UPLOAD_HANDLERS = [
    "sportello.helpdesk.uploads.AttachmentLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 // 2
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# --- Outgoing mail: real SMTP; every message goes through the outbox first.
EMAIL_BACKEND = "sportello.mail.backends.SigningEmailBackend"
# Outgoing mail is DKIM-signed when this key exists (`sportello dkimkey` creates it).
DKIM_PRIVATE_KEY_FILE = os.environ.get("DKIM_PRIVATE_KEY_FILE", str(DATA_DIR / "dkim.pem"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sportello <noreply@sportello.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
# Inbound mail authentication reads TXT records from this JSON file instead of DNS.
MAIL_DNS_FILE = os.environ.get("MAIL_DNS_FILE", "")

LOG_LEVEL = os.environ.get("LOG_LEVEL", "").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"}
    },
    # huey's per-task lines ("Executing …", "… executed in …") become DEBUG: the tasks log
    # what they did, and a periodic run that finds nothing to do says nothing.
    "filters": {
        "routine_tasks": {"()": "sportello.core.logs.RoutineTaskLines"},
        "forbidden_without_traceback": {"()": "sportello.core.logs.ForbiddenWithoutTraceback"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["routine_tasks", "forbidden_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL or "WARNING"},
    "loggers": {
        # What the worker did ("sent 12 emails", the daily run) is INFO.
        "sportello": {"level": LOG_LEVEL or "INFO"},
        # The console handler here, not by propagation: run_huey adds a handler of its own
        # to a "huey" logger that has none, and every line was printed twice.
        "huey": {"handlers": ["console"], "level": LOG_LEVEL or "INFO", "propagate": False},
    },
}

if TESTING:
    # Hashing strength is not what the tests measure; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Covering indexes (INCLUDE) serve PostgreSQL; SQLite keeps the key columns and that is fine.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- REST API (/api/v1/) and outgoing webhooks
# Requests per minute a token (or an address without one) may make; over it: 429.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "120"))
# Webhook targets on private, loopback or link-local addresses are refused unless allowed
# (a target inside the provider's own network is otherwise a way in).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS")
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
NINJA_PAGINATION_MAX_LIMIT = 200
