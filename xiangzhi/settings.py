"""One settings module; production differs from the demo only by environment variables.

Every secret can also be read from a file named in ``<NAME>_FILE``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("XIANGZHI_VAR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name: str, default: str = "") -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def _key_from_var(name: str, nbytes: int) -> str:
    """A secret kept under var/ so a demo works without configuration; production sets the env var."""
    path = VAR_DIR / f"{name}.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or _key_from_var("secret", 50)
# Version 1 of the data key ring (ID numbers and phones at rest) and, until kept as lookup.key, the
# source of the lookup key: xiangzhi/lib/keys.py, README 「密钥」.
DATA_KEY = env("XIANGZHI_DATA_KEY") or _key_from_var("data", 32)
# Keys live apart from the database and from every backup (``xiangzhi.lib.keys``).
KEY_DIR = Path(env("XIANGZHI_KEY_DIR") or VAR_DIR / "keys").resolve()
BACKUP_KEY = env("XIANGZHI_BACKUP_KEY")
# Backup archives (xiangzhi/backups): the daily one from 02:30 keeps 7 daily, 4 weekly, 12 monthly.
# Setting the directory turns on the alert for a failed or missing backup.
BACKUP_DIR = Path(env("XIANGZHI_BACKUP_DIR") or VAR_DIR / "backups").resolve()
BACKUP_DIR_SET = bool(env("XIANGZHI_BACKUP_DIR"))

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
CSRF_FAILURE_VIEW = "xiangzhi.front.errors.csrf_failure"  # the refused form in Chinese, in the site's layout

# HTTPS is the production default; the local demo turns it off explicitly.
HTTPS = env_bool("XIANGZHI_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"


def map_tile_origin(url: str) -> str:
    """The origin a county's own tile server answers from (``http://10.1.2.3``), for the policy's
    img-src; empty for no tiles or tiles served from our own host (a path such as ``/tiles/…``)."""
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    if not url or (url.startswith("/") and not url.startswith("//")):
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "{" in parts.netloc:
        raise ImproperlyConfigured(f"XIANGZHI_MAP_TILE_URL 应为 http(s)://主机/…/{{z}}/{{x}}/{{y}}.png：{url}")
    return f"{parts.scheme}://{parts.netloc}"


# Base tiles for the command centre's map, from a tile server the county hosts on its own intranet
# (e.g. http://10.1.2.3/tiles/{z}/{x}/{y}.png). Empty: no base layer, and nothing outside is fetched.
MAP_TILE_URL = env("XIANGZHI_MAP_TILE_URL").strip()
MAP_TILE_ORIGIN = map_tile_origin(MAP_TILE_URL)

# Content-Security-Policy on every response (django-csp): scripts only from our own host, and an
# inline <script> runs only with this request's nonce (`nonce="{{ request.csp_nonce }}"`); no page
# needs an outside host. Styles allow 'unsafe-inline' because Bootstrap, htmx's swaps, Leaflet and
# plotly.js set style attributes and insert <style> rules at run time; a style cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([MAP_TILE_ORIGIN] if MAP_TILE_ORIGIN else [])],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# The interactive API docs at /api/v1/docs (Swagger UI, served from our static files). Off with
# API_DOCS=0; the schema at /api/v1/openapi.json stays either way.
API_DOCS = env_bool("API_DOCS", True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "bootstrap",
    "axes",
    "csp",
    "ninja",  # serves Swagger UI's files from our static files: /api/v1/docs loads nothing from outside
    "huey.contrib.djhuey",
    "xiangzhi.system",
    "xiangzhi.audit",  # 审计日志: reveals, exports, imports, publications, configuration and admin changes
    "xiangzhi.keyring",  # 密钥: the data key ring, its rotation, the recovery sheet
    "xiangzhi.accounts",
    "xiangzhi.regions",
    "xiangzhi.configuration",  # 配置: settings with township overrides, every configuration change's history
    "xiangzhi.people",
    "xiangzhi.duties",  # 三张清单: the small-power, duty and territorial duty lists; case routing reads them
    "xiangzhi.gridwork",
    "xiangzhi.party",
    "xiangzhi.triage",
    "xiangzhi.notifications",
    "xiangzhi.cases",
    "xiangzhi.inspections",
    "xiangzhi.points",
    "xiangzhi.shop",
    "xiangzhi.activities",
    "xiangzhi.projects",
    "xiangzhi.devices",
    "xiangzhi.open311",
    "xiangzhi.assessment",
    "xiangzhi.disclosure",
    "xiangzhi.participation",  # 通知公告 with read receipts, 民意调查, 民情恳谈 / 百姓夜话
    "xiangzhi.supervision",  # 一村一码: the village code, 码上问, 码上办
    "xiangzhi.meetings",  # 阳光报告会 (述询定评) and 四议两公开
    "xiangzhi.backups",  # 备份与恢复: the encrypted archive, its restore and the daily schedule
    "xiangzhi.front",
    "xiangzhi.centre",  # 指挥中心 (五个一): know, look, manage, take part, the wall screen, configuration, audit
    "xiangzhi.demo",
]

MIDDLEWARE = [
    "xiangzhi.front.uploads.UploadLimitMiddleware",  # first: a body over the limit is never read
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "xiangzhi.front.embed.EmbedMiddleware",  # after the framing headers' middlewares: it loosens them for sheets
    "django_htmx.middleware.HtmxMiddleware",
    "xiangzhi.accounts.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
    "xiangzhi.core.http.DomainErrorMiddleware",  # a refusal a page lets through: the site's error page
]

ROOT_URLCONF = "xiangzhi.urls"
WSGI_APPLICATION = "xiangzhi.wsgi.application"

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
                "xiangzhi.front.context.navigation",
            ],
            "builtins": ["xiangzhi.accounts.templatetags.people_names", "xiangzhi.core.display"],
        },
    },
]

DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'xiangzhi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock up front
        # so two writers queue on busy_timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env("SQLITE_TEST_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "front:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login flood protection (django-axes): five failures for one username from one address lock that
# pair for fifteen minutes; failures for twenty different usernames from one address within those
# fifteen minutes (one password sprayed over many accounts) lock the whole address. A lockout
# answers 429 with a Chinese message, on the login page and on POST /api/v1/auth/token alike.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "xiangzhi.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "xiangzhi.accounts.views.lockout"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# API bearer tokens end this many days after they are issued.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)

# Chinese for everyone: no LocaleMiddleware, so a browser that asks for English still gets Django's
# own words (form labels, validation messages) in Chinese.
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("XIANGZHI_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"


def _leaflet_dir() -> str:
    import xstatic.pkg.leaflet as leaflet

    return leaflet.BASE_DIR


def _plotly_dir() -> str:
    # plotly.js ships inside the plotly wheel (plotly/package_data/plotly.min.js): charts stay offline.
    import plotly

    return str(Path(plotly.__file__).resolve().parent / "package_data")


STATICFILES_DIRS = [("leaflet", _leaflet_dir()), ("plotly", _plotly_dir())]
WHITENOISE_USE_FINDERS = DEBUG

# One task queue: huey. Embedded default is a SQLite file under var/ (no extra server);
# production points HUEY_URL at Redis.
HUEY_URL = env("HUEY_URL")
if env_bool("HUEY_IMMEDIATE", False):
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "xiangzhi", "immediate": True}
elif HUEY_URL.startswith("redis"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "xiangzhi",
        "utc": False,  # crontabs in the county's time (Django sets the process's TZ to TIME_ZONE)
        "url": HUEY_URL,
        "immediate": False,
        "consumer": {"workers": env_int("WORKERS", 2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "xiangzhi",
        "utc": False,
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": env_int("WORKERS", 2), "worker_type": "thread"},
    }

# Notifications: the in-app inbox row is always written; NOTIFY_CHANNELS (dotted paths, comma-separated)
# adds deliveries. The SMS and WeChat channels POST signed JSON to gateways on the intranet
# (xiangzhi/notifications/channels.py); the email channel uses the EMAIL_* settings below.
NOTIFY_CHANNELS = [
    c.strip() for c in env("NOTIFY_CHANNELS", "xiangzhi.notifications.channels.LogChannel").split(",") if c.strip()
]
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL")
SMS_GATEWAY_SECRET = env("SMS_GATEWAY_SECRET")
WECHAT_GATEWAY_URL = env("WECHAT_GATEWAY_URL")
WECHAT_GATEWAY_SECRET = env("WECHAT_GATEWAY_SECRET")
WECHAT_OPENID_ATTR = env("WECHAT_OPENID_ATTR", "wechat_openid")
# Residents sign themselves up (xiangzhi/accounts): a code by SMS, then the village confirms. SMS_BACKEND
# names the class that sends texts (xiangzhi/core/sms.py): the county's signed SMS gateway once
# SMS_GATEWAY_URL is set, otherwise the console, which only writes the text to the log (and, with DEBUG,
# shows a code on the page). A code lasts SMS_CODE_MINUTES and takes SMS_CODE_ATTEMPTS wrong tries;
# a phone gets one every SMS_CODE_INTERVAL_SECONDS and SMS_CODES_PER_PHONE_HOUR an hour, an address
# SMS_CODES_PER_ADDRESS_HOUR. A resident types his phone number where the login page asks for a username.
SMS_BACKEND = env("SMS_BACKEND", "xiangzhi.core.sms.GatewaySmsBackend" if SMS_GATEWAY_URL
                  else "xiangzhi.core.sms.ConsoleSmsBackend")
SMS_CODE_MINUTES = env_int("SMS_CODE_MINUTES", 5)
SMS_CODE_ATTEMPTS = env_int("SMS_CODE_ATTEMPTS", 5)
SMS_CODE_INTERVAL_SECONDS = env_int("SMS_CODE_INTERVAL_SECONDS", 60)
SMS_CODES_PER_PHONE_HOUR = env_int("SMS_CODES_PER_PHONE_HOUR", 5)
SMS_CODES_PER_ADDRESS_HOUR = env_int("SMS_CODES_PER_ADDRESS_HOUR", 30)
AUTHENTICATION_BACKENDS.append("xiangzhi.accounts.backends.PhonePasswordBackend")
MIDDLEWARE.insert(MIDDLEWARE.index("xiangzhi.accounts.middleware.PasswordChangeRequiredMiddleware") + 1,
                  "xiangzhi.accounts.middleware.SignupPendingMiddleware")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)  # the worker must not hang on a dead mail server
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "xiangzhi@localhost")

CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Cases: a new report of the same category this close, this soon, is proposed as a duplicate;
# a "dissatisfied" evaluation sends the case back for review.
CASE_DUPLICATE_METERS = env_int("CASE_DUPLICATE_METERS", 200)
CASE_DUPLICATE_HOURS = env_int("CASE_DUPLICATE_HOURS", 72)
# The category suggester is sure of its first choice when it scores at least this (0–1) and twice the
# second: a report that names no category is then filed under it (else under 其他), and a hotline row
# whose category is not among its three is flagged for the dispatcher.
CASE_SUGGEST_TAKE = float(os.environ.get("CASE_SUGGEST_TAKE", "0.3"))
# The e5 sentence model joins the character model for text in other scripts and categories without examples
# (about 24 ms a suggestion, 100 MB once per process); XIANGZHI_TRIAGE_E5=0 keeps the character model alone.
TRIAGE_E5 = env_bool("XIANGZHI_TRIAGE_E5", True)
# The command centre keeps a count a minute (xiangzhi/centre/kept.py) when it took this long to make.
CENTRE_KEPT_SLOW_SECONDS = float(os.environ.get("CENTRE_KEPT_SLOW_SECONDS", "0.1"))
CASE_REOPEN_ON_DISSATISFIED = env_bool("CASE_REOPEN_ON_DISSATISFIED", True)
CASE_PHOTO_MAX_BYTES = env_int("CASE_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
CASE_PHOTO_MAX_COUNT = env_int("CASE_PHOTO_MAX_COUNT", 6)  # photos in one report or one step
# Checked from the image header before any pixel is decoded; a phone camera stays well below.
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 40_000_000)
CASE_EVALUATION_DAYS = env_int("CASE_EVALUATION_DAYS", 7)  # then an unevaluated closed case is archived
# 每月排查: a month's inspections close on this day of the next month; none for it after that.
INSPECTION_MONTH_CLOSES_DAY = env_int("INSPECTION_MONTH_CLOSES_DAY", 5)

# 一村一码 (xiangzhi/supervision): a question is screened within SUPERVISION_SCREEN_DAYS working days and
# answered within SUPERVISION_ANSWER_DAYS of being asked; asking and reporting (码上办) from the village page
# are limited per phone and per address over the last hour, counted in the database. SITE_URL is the
# address villagers reach the site at, for links sent by SMS and printed on posters (blank: the request's).
SUPERVISION_SCREEN_DAYS = env_int("SUPERVISION_SCREEN_DAYS", 2)
SUPERVISION_ANSWER_DAYS = env_int("SUPERVISION_ANSWER_DAYS", 5)
SUPERVISION_QUESTIONS_PER_PHONE_HOUR = env_int("SUPERVISION_QUESTIONS_PER_PHONE_HOUR", 3)
SUPERVISION_QUESTIONS_PER_ADDRESS_HOUR = env_int("SUPERVISION_QUESTIONS_PER_ADDRESS_HOUR", 5)
SUPERVISION_REPORTS_PER_PHONE_HOUR = env_int("SUPERVISION_REPORTS_PER_PHONE_HOUR", 3)
SUPERVISION_REPORTS_PER_ADDRESS_HOUR = env_int("SUPERVISION_REPORTS_PER_ADDRESS_HOUR", 5)
SITE_URL = env("SITE_URL")

# Searching households by a full ID number or phone (reveal permission only): at most this many an hour
# per user, counted in the cache (set CACHE_URL when several web processes run).
IDENTITY_SEARCH_PER_HOUR = env_int("IDENTITY_SEARCH_PER_HOUR", 20)

# Import limits. An .xlsx is checked as a zip before it is parsed (what it unpacks to, and how far one
# member is compressed), then read row by row and dropped at the row limit.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 64 * 1024 * 1024)
IMPORT_MAX_ZIP_RATIO = env_int("IMPORT_MAX_ZIP_RATIO", 500)
IMPORT_MAX_BLANK_ROWS = env_int("IMPORT_MAX_BLANK_ROWS", 10_000)
HOUSEHOLD_IMPORT_MAX_ROWS = env_int("HOUSEHOLD_IMPORT_MAX_ROWS", 20_000)  # residents: a township at once
HOTLINE_IMPORT_MAX_ROWS = env_int("HOTLINE_IMPORT_MAX_ROWS", 1000)  # ~60 ms a row inside the 120 s timeout
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# One request body, files included: refused from its Content-Length before it is read
# (xiangzhi/front/uploads.py), and counted again while the multipart parser writes it out.
UPLOAD_MAX_BYTES = env_int(
    "UPLOAD_MAX_BYTES", max(IMPORT_MAX_BYTES, CASE_PHOTO_MAX_COUNT * CASE_PHOTO_MAX_BYTES) + 1024 * 1024
)
FILE_UPLOAD_HANDLERS = [
    "xiangzhi.front.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A failed request's line names it: method, path, user id and role, and the reference the error
    # page showed (xiangzhi/system/log.py).
    "filters": {"request_context": {"()": "xiangzhi.system.log.RequestContextFilter"},
                # An Open311 client's api_key may come in the query string: never written to a log.
                "scrub_secrets": {"()": "xiangzhi.lib.logscrub.ScrubSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_context"]},
                 # Each error's gist for the status page (运行状态), 30 days.
                 "error_records": {"class": "xiangzhi.system.log.ErrorRecordHandler", "filters": ["request_context"]}},
    "root": {"handlers": ["console", "error_records"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "huey": {"level": "WARNING"},
                "django.request": {"filters": ["scrub_secrets"]}, "django.server": {"filters": ["scrub_secrets"]}},
}
# Log files under LOG_DIR (``XIANGZHI_LOG_DIR``; by default var/logs; empty: the console only), turned over at
# midnight and kept LOG_KEEP_DAYS days. Web and worker processes write the same file: the handler locks it
# (concurrent-log-handler), so a rotation in one process does not cut another's lines.
LOG_DIR = env("XIANGZHI_LOG_DIR", str(VAR_DIR / "logs"))
LOG_KEEP_DAYS = env_int("LOG_KEEP_DAYS", 30)
if LOG_DIR:
    Path(LOG_DIR).mkdir(parents=True, exist_ok=True)
    LOGGING["handlers"]["file"] = {
        "class": "concurrent_log_handler.ConcurrentTimedRotatingFileHandler", "formatter": "plain",
        "filters": ["request_context"], "filename": str(Path(LOG_DIR) / "xiangzhi.log"), "when": "midnight",
        "backupCount": LOG_KEEP_DAYS, "encoding": "utf-8",
    }
    LOGGING["root"]["handlers"].append("file")
# /metrics answers a monitoring system that sends this token (Authorization: Bearer …), and county admins.
METRICS_TOKEN = env("METRICS_TOKEN")
