"""Gongzhi settings: twelve-factor, everything that differs between deployments comes from the environment.

Defaults give the embedded set-up (SQLite in WAL mode, an SQLite-backed job queue, an in-process cache) so that
`make demo` needs nothing but Python. Production sets DATABASE_URL (PostgreSQL), REDIS_URL and SECRET_KEY.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from gongzhi.core.sqlite_library import disable_memory_statistics

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGZHI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise one generated once per installation and kept in var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from our own static files, not from a CDN (often unreachable in China)
    "axes",
    "huey.contrib.djhuey",
    "gongzhi.core",
    "gongzhi.accounts",
    "gongzhi.estate",
    "gongzhi.tickets",
    "gongzhi.notifications",
    "gongzhi.notices",
    "gongzhi.ledger",
    "gongzhi.billing",
    "gongzhi.governance",
    "gongzhi.surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gongzhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'gongzhi.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")))
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so concurrent writers
    # wait (busy_timeout) instead of failing half-way with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; "
        "PRAGMA foreign_keys=ON;",
    }
    _db["CONN_MAX_AGE"] = 0 if ":memory:" in DATABASE_URL else _db["CONN_MAX_AGE"]
DATABASES = {"default": _db}
# SQLite (the database, and the job queue without Redis) without the global mutex of its memory statistics, so
# that connections in parallel threads do not contend (gongzhi/core/sqlite_library.py).
disable_memory_statistics()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and job queue ----------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "gongzhi",
        "url": REDIS_URL,
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "gongzhi",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("HUEY_IMMEDIATE", False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- accounts and security --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ["phone", "name"]}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gongzhi.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Brute-force protection (django-axes): 5 failures lock that phone number, and separately that client address,
# for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "gongzhi.accounts.services.login_username_from_request"
AXES_LOCKOUT_CALLABLE = "gongzhi.accounts.web.views.lockout_response"
AXES_VERBOSE = False

# Reverse proxies in front of the app (nginx, a load balancer): how many hops to trust, so that lockout and
# throttling see the client's address (the n-th X-Forwarded-For entry from the right) and not the proxy's for
# everybody. 0: the app is reached directly and X-Forwarded-For, which any client can forge, is ignored.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "gongzhi.accounts.services.client_ip"
NINJA_NUM_PROXIES = TRUSTED_PROXY_COUNT
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))

# How long who-holds-which-role and API tokens stay cached (0: never). Changes clear the cache at once; see
# docs/adr/0006-access-cache.md for what that means with several server processes and no Redis.
ACCESS_CACHE_SECONDS = int(os.environ.get("ACCESS_CACHE_SECONDS", "30"))
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS", "90"))
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))

# --- i18n -------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static and media -------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from it (filled by collectstatic)
STATICFILES_DIRS = [BASE_DIR / "gongzhi" / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- registry import --------------------------------------------------------------------------------------------
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- notifications -----------------------------------------------------------------------------------------------
# Email goes through Django's mail backend (SMTP in production: EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS); the console backend prints mails for development.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
# The SMS provider class (dotted path), a gongzhi.notifications.channels.SmsProvider. The logging one only writes
# the message, with the number masked, to the log.
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "gongzhi.notifications.channels.LoggingSmsProvider")
# Uploads: a ticket photo and a notice attachment, at most this many bytes each.
TICKET_PHOTO_MAX_BYTES = int(os.environ.get("TICKET_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
NOTICE_ATTACHMENT_MAX_BYTES = int(os.environ.get("NOTICE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Staff may remind the houses that have not read an important notice at most once in this many hours.
NOTICE_REMIND_HOURS = int(os.environ.get("NOTICE_REMIND_HOURS", "12"))
# Where a completed paid repair's charge goes (a gongzhi.tickets.charges.ChargeSink); by default it stays recorded on
# the ticket until the billing app provides a sink.
TICKET_CHARGE_SINK = os.environ.get("TICKET_CHARGE_SINK", "gongzhi.tickets.charges.RecordOnTicket")

# --- demo -------------------------------------------------------------------------------------------------------
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- ledger -------------------------------------------------------------------------------------------------------
# The Ed25519 key that signs period checkpoints: 64 hex digits (a 32-byte seed) in LEDGER_SIGNING_KEY, or a file
# created with a random key on first use. Publish its public half (the public ledger page shows it); after a
# rotation list the old public keys in LEDGER_TRUSTED_KEYS (comma-separated hex) so older checkpoints still verify.
LEDGER_SIGNING_KEY = os.environ.get("LEDGER_SIGNING_KEY", "")
LEDGER_SIGNING_KEY_FILE = Path(os.environ.get("LEDGER_SIGNING_KEY_FILE", VAR_DIR / "ledger-signing.key"))
LEDGER_TRUSTED_KEYS = [k for k in os.environ.get("LEDGER_TRUSTED_KEYS", "").split(",") if k.strip()]

# --- online payments (gongzhi.billing.providers; docs/billing/online-payments.md) ------------------------------------
# The provider residents pay with: sandbox (the demo's own gateway page, no money moves), wechat or alipay.
BILLING_PROVIDER = os.environ.get("BILLING_PROVIDER", "sandbox")
# The address the gateways reach this site at (their notifications go to <it>/api/v1/billing/notify/<provider>).
BILLING_PUBLIC_URL = os.environ.get("BILLING_PUBLIC_URL", "http://127.0.0.1:8000")
BILLING_GATEWAY_TIMEOUT = float(os.environ.get("BILLING_GATEWAY_TIMEOUT", "10"))
# The HMAC key of the sandbox's notifications (unset: derived from SECRET_KEY).
BILLING_SANDBOX_KEY = os.environ.get("BILLING_SANDBOX_KEY", "")
# WeChat Pay v3 (public-key mode: no platform certificate is ever downloaded). Keys are read from files.
for _name in ("MCHID", "APPID", "CERT_SERIAL_NO", "PRIVATE_KEY_PATH", "APIV3_KEY", "APIV3_KEY_PATH",
              "PUBLIC_KEY_PATH", "PUBLIC_KEY_ID", "GATEWAY"):
    globals()[f"BILLING_WECHAT_{_name}"] = os.environ.get(f"BILLING_WECHAT_{_name}", "")
# Alipay (RSA2). MODE: precreate (a QR code) or page (a payment page URL).
for _name in ("APPID", "SELLER_ID", "PRIVATE_KEY_PATH", "PUBLIC_KEY_PATH", "GATEWAY", "MODE", "RETURN_URL"):
    globals()[f"BILLING_ALIPAY_{_name}"] = os.environ.get(f"BILLING_ALIPAY_{_name}", "")
