"""Casework settings: the one settings module. Every deploy-specific value comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is optional; the environment always wins over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production-0123456789"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "simple_history",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "casework.cases",
    "casework.incidents",
    "casework.witnesses",
    "casework.evidence",
    "casework.captures",
    "casework.bundles",
    "casework.audit",
    "casework.statistics",
    "casework.notifications",
    "casework.search",
    "casework.maps",
    "casework.web",
    # Last: Django's own widget templates, which casework/web/templates/django/forms/ overrides (FORM_RENDERER).
    "django.forms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "casework.web.middleware.NoStoreMiddleware",
    # Before anything reads the URL (sessions, the database): a NUL character is refused with 400.
    "casework.web.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A full disk answers 507 with a clear message (also when the upload's body could not be written).
    "casework.web.middleware.StorageFullMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "casework.web.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into a clear 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casework.urls"
WSGI_APPLICATION = "casework.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casework.web.context_processors.case_permissions",
                "casework.notifications.context_processors.work_counts",
            ],
            # One way to write dates, times and numbers on every page and in the report PDF.
            "builtins": ["casework.web.templatetags.casework_format"],
        },
    },
]

# Widgets render through the project's templates, so casework.web can override one (a text area's dir="auto").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'casework.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Seconds a request thread keeps its database connection for the next request (0: a new one per request). Opening
# one costs more CPU than the rest of a small API request (a resumable upload sends one request per piece), so the
# deployed web service keeps them (docker-compose.yml: 60). Each of gunicorn's threads then holds one connection:
# workers x threads (72 by default) must fit PostgreSQL's max_connections (100) beside the Celery processes.
# Left at 0 for `runserver`, which starts a thread per request. A kept connection is checked before reuse.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", DATABASES["default"]["CONN_MAX_AGE"] != 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not memory) so that a worker process started by the tests sees the test database; one per
    # test run, so that two runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-casework-{os.getpid()}.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})
    # Web and worker write to the same file; wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "casework" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# Uploads are never served from a public URL: the permission-checked views stream them.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media-not-served/"
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)

# Security: production values by default, loosened only when DEBUG is on.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every page: scripts and styles from this site's own files only, no
# inline script, event handler or style attribute. Swagger UI and the admin draw some icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a missing, expired or revoked token is answered 401 with a WWW-Authenticate header.
        "casework.web.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON renderer written through orjson (casework/renderers.py); the browsable API as DRF has it.
    "DEFAULT_RENDERER_CLASSES": [
        "casework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "casework.api.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "casework.api.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's three parsers, the JSON one refusing bodies nested deeper than casework.parsers.MAX_JSON_DEPTH (400).
    "DEFAULT_PARSER_CLASSES": [
        "casework.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # A service's Refused / EditConflict become 400 / 409 here, once for every endpoint.
    "EXCEPTION_HANDLER": "casework.api.api_exception_handler",
}
# API tokens (django-rest-knox): only a hash of each token is stored; a token lasts this many hours.
CASEWORK_API_TOKEN_TTL_HOURS = env.int("CASEWORK_API_TOKEN_TTL_HOURS", default=720)
if CASEWORK_API_TOKEN_TTL_HOURS < 1:
    raise environ.ImproperlyConfigured("CASEWORK_API_TOKEN_TTL_HOURS must be at least 1.")
KNOX_TOKEN_MODEL = "web.ApiToken"
# knox's migrations create its own token table even when the model is swapped out; unused, that table's key to
# auth_user would stop PostgreSQL from truncating auth_user between tests. web.ApiToken has its own migrations.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=CASEWORK_API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Casework API",
    "DESCRIPTION": "Incidents, victims, witnesses (pseudonymous), testimonies, media evidence, custody and "
    "evidence packets of the cases you are on, with the same permission rules as the web pages.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs page describe the data; only signed-in people read them.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Two fields are named "kind": a media item's (photo, video...) and a notification's.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "casework.evidence.models.MediaKind",
        "NotificationKindEnum": "casework.notifications.models.NotificationKind",
        "SourceStatusEnum": "casework.captures.models.SourceStatus",
    },
}

# Celery.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=10 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
# The longest hard time limit of any task: building an evidence packet (3 h + 5 min, casework/bundles/tasks.py).
# Settings load before the tasks, so the figure is repeated here; tests/test_settings.py compares it with
# every registered task. Redis's visibility timeout outlasts it, and the default limit, by a margin.
CASEWORK_LONGEST_TASK_TIME_LIMIT = 3 * 60 * 60 + 5 * 60
CASEWORK_BROKER_VISIBILITY_MARGIN = 30 * 60
CASEWORK_BROKER_VISIBILITY_TIMEOUT = (
    max(CASEWORK_LONGEST_TASK_TIME_LIMIT, CELERY_TASK_TIME_LIMIT) + CASEWORK_BROKER_VISIBILITY_MARGIN
)
# Redis redelivers a task not acknowledged within `visibility_timeout` seconds. Tasks acknowledge late (when
# they end), so a timeout shorter than a running task would start a second copy of it. A Redis that is down
# or frozen must not hold a web request: sending a task gives up after these timeouts (and the publish retries
# below), the request answers anyway, and a sweep on the beat schedule sends the task later.
CASEWORK_REDIS_SOCKET_TIMEOUT = env.float("CASEWORK_REDIS_SOCKET_TIMEOUT", default=2.0)
CASEWORK_REDIS_TRANSPORT_OPTIONS = {
    "visibility_timeout": CASEWORK_BROKER_VISIBILITY_TIMEOUT,
    "socket_timeout": CASEWORK_REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": CASEWORK_REDIS_SOCKET_TIMEOUT,
    "health_check_interval": 25,
    # Sending: at most two connection attempts, half a second apart.
    "max_retries": 1,
    "interval_start": 0.5,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = CASEWORK_REDIS_SOCKET_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 1}
# Without CELERY_BROKER_URL a filesystem broker under var/ lets a real worker run with no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = CASEWORK_REDIS_TRANSPORT_OPTIONS
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="casework")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# Domain settings.
# An incident with at least this many civilians killed counts as a massacre (as SNHR counts them).
CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED = env.int("CASEWORK_MASSACRE_MIN_CIVILIANS_KILLED", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Fernet keys for witness identities, newest first. Generate one with:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    raise environ.ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")

# Evidence intake: uploads stream to a temporary file on the media volume while being hashed, then are
# moved (not copied) into place. Originals are written once and made read-only.
CASEWORK_MAX_UPLOAD_BYTES = env.int("CASEWORK_MAX_UPLOAD_BYTES", default=20 * 1024**3)
# An unfinished resumable upload is removed this many hours after its last bytes arrived.
CASEWORK_RESUMABLE_UPLOAD_HOURS = env.int("CASEWORK_RESUMABLE_UPLOAD_HOURS", default=24)
FILE_UPLOAD_HANDLERS = ["casework.evidence.uploads.HashingUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o440
if FILE_UPLOAD_TEMP_DIR is None:
    FILE_UPLOAD_TEMP_DIR = str(Path(MEDIA_ROOT) / "incoming")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)

CELERY_BEAT_SCHEDULE = {
    "re-enqueue-unprocessed-media": {
        "task": "casework.evidence.tasks.media_sweep_unprocessed_task",
        "schedule": env.int("CASEWORK_MEDIA_SWEEP_SECONDS", default=300),
    },
    "re-enqueue-stalled-packets": {
        "task": "casework.bundles.tasks.bundles_sweep_task",
        "schedule": env.int("CASEWORK_PACKET_SWEEP_SECONDS", default=300),
    },
    "clean-dead-uploads": {"task": "casework.evidence.tasks.incoming_clean_task", "schedule": 3600},
    "expire-old-packets": {"task": "casework.bundles.tasks.bundles_expire_task", "schedule": 3600},
    "remove-expired-uploads": {"task": "casework.evidence.tasks.uploads_remove_expired_task", "schedule": 3600},
    "re-check-captured-sources": {
        "task": "casework.captures.tasks.captures_watch_task",
        "schedule": env.int("CASEWORK_CAPTURE_WATCH_SWEEP_SECONDS", default=900),
    },
    "re-enqueue-stalled-captures": {"task": "casework.captures.tasks.captures_sweep_task", "schedule": 300},
}

# Capturing online sources (casework/captures). Every fetch is refused for private, local and metadata
# addresses; CASEWORK_CAPTURE_ALLOW_LOOPBACK lets loopback through, for the test suite's local server only.
CASEWORK_CAPTURE_ALLOW_LOOPBACK = env.bool("CASEWORK_CAPTURE_ALLOW_LOOPBACK", default=False)
# The time limit of one capture (page, browser and media together); the size limit is CASEWORK_MAX_UPLOAD_BYTES.
CASEWORK_CAPTURE_SECONDS = env.int("CASEWORK_CAPTURE_SECONDS", default=300)
# A captured source is re-checked when its last check is older than this; each sweep re-checks at most
# CASEWORK_CAPTURE_WATCH_BATCH of them, with requests bounded by CASEWORK_CAPTURE_CHECK_SECONDS.
CASEWORK_CAPTURE_WATCH_HOURS = env.int("CASEWORK_CAPTURE_WATCH_HOURS", default=24)
CASEWORK_CAPTURE_WATCH_BATCH = env.int("CASEWORK_CAPTURE_WATCH_BATCH", default=200)
CASEWORK_CAPTURE_CHECK_SECONDS = env.int("CASEWORK_CAPTURE_CHECK_SECONDS", default=20)
# Trusted timestamps (RFC 3161): when set, each capture's manifest hash and the custody head are timestamped by
# this authority. CASEWORK_TSA_CA_FILE (PEM) is the authority's root certificate: tokens are checked against
# it, and packets carry it for their recipients to check them offline.
CASEWORK_TSA_URL = env.str("CASEWORK_TSA_URL", default="")
CASEWORK_TSA_CA_FILE = env.str("CASEWORK_TSA_CA_FILE", default="")

AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in attempts for a username and address after too many failures.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "casework.cases.access.CaseRoleBackend",
]

# Login throttling (django-axes): after this many failures for a username from one address, that pair is
# locked out for the cool-off period; a success resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Casework")

# Evidence packets: the Ed25519 key that signs every manifest (base64 of the 32-byte private key). Generate one:
#   python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())"
BUNDLE_SIGNING_KEY = env.str("BUNDLE_SIGNING_KEY", default="")
if not BUNDLE_SIGNING_KEY and not DEBUG:
    raise environ.ImproperlyConfigured("BUNDLE_SIGNING_KEY must be set when DEBUG is off.")
# A bundle build holds a lease this long and renews it with every progress report; a worker killed mid-build
# frees the bundle for the redelivered task once the lease runs out.
CASEWORK_BUNDLE_LEASE_SECONDS = env.int("CASEWORK_BUNDLE_LEASE_SECONDS", default=120)
# A worker processing a media item holds a lease this long and renews it every quarter of it; a worker killed
# or cut off from the database frees the item for the redelivered task once the lease runs out.
CASEWORK_MEDIA_LEASE_SECONDS = env.int("CASEWORK_MEDIA_LEASE_SECONDS", default=60)
# Text of photos and PDFs (OCR by Tesseract): the languages read (Debian's tesseract-ocr-<code> data) and the
# mean word confidence (0-100) below which text read from a photo or scan is not kept.
CASEWORK_OCR_LANGUAGES = env.str("CASEWORK_OCR_LANGUAGES", default="ara+eng")
CASEWORK_OCR_MIN_CONFIDENCE = env.int("CASEWORK_OCR_MIN_CONFIDENCE", default=60)
# The case map: a tile server's URL template ("https://tiles.example.org/{z}/{x}/{y}.png") and the attribution
# its licence asks for. Without one the map draws country borders shipped with the app (Natural Earth).
CASEWORK_MAP_TILE_URL = env.str("CASEWORK_MAP_TILE_URL", default="")
CASEWORK_MAP_TILE_ATTRIBUTION = env.str("CASEWORK_MAP_TILE_ATTRIBUTION", default="")
if CASEWORK_MAP_TILE_URL:
    # The map's tiles are images from the tile server: its origin joins img-src ({s}, Leaflet's rotating
    # subdomain, as a wildcard).
    _tiles = urlsplit(CASEWORK_MAP_TILE_URL.replace("{s}.", "tile-subdomain."))
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        f"{_tiles.scheme}://{_tiles.netloc}".replace("tile-subdomain.", "*.")
    )
# A media item whose GPS position lies farther than this from an incident it is linked to is flagged.
CASEWORK_FAR_FROM_INCIDENT_KM = env.float("CASEWORK_FAR_FROM_INCIDENT_KM", default=25.0)
# Packet files are deleted this many days after they were built (the record stays, marked expired).
CASEWORK_PACKET_RETENTION_DAYS = env.int("CASEWORK_PACKET_RETENTION_DAYS", default=90)
# Who issues the evidence packets: named on the cover and in the running header of every report.pdf page.
CASEWORK_ORGANISATION_NAME = env.str("CASEWORK_ORGANISATION_NAME", default="Casework")
