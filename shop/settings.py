"""Every setting of the shop, typed, with its default and what it means: the one env reader.

:class:`ShopSettings` declares each setting once (variable, type, default, description);
:func:`load` reads them all from the environment (or a given mapping) in one pass and
returns the typed, frozen object every package builds its own settings from
(``shop.config.Settings``, the console's, the storefront's, pricing's). A blank value
means the default. Nothing else in the product packages reads ``os.environ``
(``tests/shop/test_settings.py`` checks), except :mod:`shop.secrets` for the secrets, which
have no defaults.

``config/defaults.env`` and the README's configuration table are generated from these
declarations (``python -m shop.settings_docs write``); ``tests/shop/test_settings.py`` checks
both. Defaults stay plain words (no spaces, quotes, ``#`` or ``$``): the Makefile includes
defaults.env as ``export NAME ?= value``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["Setting", "ShopSettings", "declared", "load", "raw", "value"]

_KIND_OF: dict[type, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    Decimal: "decimal",
    tuple: "words",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _s(env: str, default: Any, description: str, kind: str = "") -> Any:
    """Declare one setting: its variable, default and meaning (the type follows the default)."""
    kind = kind or _KIND_OF[type(default)]
    return field(default=default, metadata={"env": env, "kind": kind, "doc": description})


@dataclass(frozen=True)
class ShopSettings:
    """Every non-secret setting, typed. Build it with :func:`load`, never field by field."""

    # The shop and its order database
    env: str = _s(
        "SHOP_ENV", "development", "`production` refuses weak or shipped secrets and turns demo mode off"
    )
    demo_mode: bool = _s(
        "SHOP_DEMO_MODE",
        True,
        "the storefront's 'signed in as' switch and demo seeding (never in production)",
    )
    db_url: str = _s(
        "SHOP_DB_URL", "", "order database (SQLAlchemy URL); blank: SQLite var/shop.db under the project root"
    )
    db_connect_timeout_s: int = _s(
        "SHOP_DB_CONNECT_TIMEOUT_S", 5, "PostgreSQL connect timeout, seconds (0: none)"
    )
    db_statement_timeout_ms: int = _s(
        "SHOP_DB_STATEMENT_TIMEOUT_MS", 5000, "PostgreSQL statement timeout, ms (0: none)"
    )
    db_lock_timeout_ms: int = _s("SHOP_DB_LOCK_TIMEOUT_MS", 2000, "PostgreSQL lock timeout, ms (0: none)")
    return_window_days: int = _s("SHOP_RETURN_WINDOW_DAYS", 30, "days after delivery a return may be started")
    recent_orders_limit: int = _s("SHOP_RECENT_ORDERS_LIMIT", 5, "orders listed to a signed-in shopper")
    max_message_chars: int = _s(
        "SHOP_MAX_MESSAGE_CHARS",
        2000,
        "longer messages are answered at once and never parsed, on every channel (at least 100)",
    )
    storefront_public_url: str = _s(
        "STOREFRONT_PUBLIC_URL",
        "",
        "where shoppers reach the storefront; links and images are absolute under it (blank: relative)",
    )
    # Languages (shop.language)
    shop_languages: tuple[str, ...] = _s(
        "SHOP_LANGUAGES",
        ("en", "zh"),
        "languages the shop answers in, ISO 639-1, comma-separated; the first is the default",
    )
    language_min_letters: int = _s(
        "SHOP_LANGUAGE_MIN_LETTERS",
        10,
        "a message with fewer letters (codes, digits, emails aside) keeps the conversation's language",
    )
    language_min_confidence: float = _s(
        "SHOP_LANGUAGE_MIN_CONFIDENCE",
        0.5,
        "below this detector confidence (0-1) a message keeps the conversation's language",
    )
    # Guessing limits (shop.identity, shop.ratelimit, shop.handoff)
    lookup_max_failures: int = _s(
        "SHOP_LOOKUP_MAX_FAILURES", 3, "failed identity checks per conversation before a lock (0: no limit)"
    )
    lookup_max_failures_per_order: int = _s(
        "SHOP_LOOKUP_MAX_FAILURES_PER_ORDER",
        3,
        "failed identity checks per order number, across conversations",
    )
    lookup_max_failures_per_email: int = _s(
        "SHOP_LOOKUP_MAX_FAILURES_PER_EMAIL", 3, "failed identity checks per email, across conversations"
    )
    lookup_max_failures_per_source: int = _s(
        "SHOP_LOOKUP_MAX_FAILURES_PER_SOURCE",
        20,
        "failed identity checks per client address, across conversations",
    )
    lookup_lock_minutes: int = _s(
        "SHOP_LOOKUP_LOCK_MINUTES", 15, "window and lock of the identity-check limits, minutes"
    )
    lookup_exempt_sources: tuple[str, ...] = _s(
        "SHOP_LOOKUP_EXEMPT_SOURCES",
        (),
        "comma-separated client addresses never counted per address (test clients, never a proxy)",
    )
    identity_proof_minutes: int = _s(
        "SHOP_IDENTITY_PROOF_MINUTES", 30, "a proven identity lasts this long at most"
    )
    lookup_rate_per_conversation: int = _s(
        "SHOP_LOOKUP_RATE_PER_CONVERSATION", 10, "order lookups per conversation per window (0: no limit)"
    )
    lookup_rate_per_source: int = _s(
        "SHOP_LOOKUP_RATE_PER_SOURCE", 60, "order lookups per client address per window (0: no limit)"
    )
    lookup_rate_window_seconds: int = _s(
        "SHOP_LOOKUP_RATE_WINDOW_SECONDS", 60, "window of the lookup rates, seconds"
    )
    rate_limit_redis_url: str = _s(
        "SHOP_RATE_LIMIT_REDIS_URL",
        "",
        "Redis shared by action servers for the lookup rates (blank: per process)",
    )
    handoff_max_per_conversation: int = _s(
        "SHOP_HANDOFF_MAX_PER_CONVERSATION", 3, "hand-off requests per conversation per window"
    )
    handoff_max_per_source: int = _s(
        "SHOP_HANDOFF_MAX_PER_SOURCE", 10, "hand-off requests per client address per window"
    )
    handoff_window_minutes: int = _s(
        "SHOP_HANDOFF_WINDOW_MINUTES", 60, "window of the hand-off limits, minutes"
    )
    code_max_failures: int = _s(
        "SHOP_CODE_MAX_FAILURES", 5, "unknown coupon codes per conversation per window (at least 1)"
    )
    code_window_minutes: int = _s("SHOP_CODE_WINDOW_MINUTES", 15, "window of the coupon-code limit, minutes")
    # Pricing and offers
    shipping_fee: Decimal = _s("SHOP_SHIPPING_FEE", Decimal("5.99"), "shipping fee in the shop currency")
    free_shipping_threshold: Decimal | None = _s(
        "SHOP_FREE_SHIPPING_THRESHOLD",
        Decimal("75.00"),
        "subtotal from which shipping is free (`off`: never)",
        "decimal_or_off",
    )
    tax_rate: Decimal = _s("SHOP_TAX_RATE", Decimal("0"), "tax as a fraction (0.08 is 8 %)")
    welcome_code: str = _s(
        "SHOP_WELCOME_CODE", "WELCOME15", "the first-order code offered to new shoppers (`off`: none)"
    )
    winback_after_days: int = _s(
        "SHOP_WINBACK_AFTER_DAYS", 60, "days without an order before a win-back code"
    )
    winback_percent: Decimal = _s("SHOP_WINBACK_PERCENT", Decimal("15"), "win-back discount, percent")
    winback_valid_days: int = _s("SHOP_WINBACK_VALID_DAYS", 30, "days a win-back code stays valid")
    loyalty_tiers: str = _s(
        "SHOP_LOYALTY_TIERS", "500:5,1500:10", "loyalty tiers as spend:percent pairs (`off`: none)"
    )
    loyalty_valid_days: int = _s("SHOP_LOYALTY_VALID_DAYS", 90, "days a loyalty code stays valid")
    cost_ratio: float = _s(
        "SHOP_COST_RATIO", 0.55, "unit cost as a share of list price for price suggestions"
    )
    # Action server, Rasa and the catalog index
    action_endpoint_url: str = _s(
        "ACTION_ENDPOINT_URL",
        "http://localhost:5055/webhook",
        "where Rasa calls the action server (endpoints.yml)",
    )
    action_host: str = _s(
        "ACTION_HOST", "127.0.0.1", "where the action server listens (loopback only by default)"
    )
    action_port: int = _s("ACTION_PORT", 5055, "action server port")
    action_workers: int = _s("ACTION_WORKERS", 8, "worker threads for action calls")
    action_server_sanic_workers: int = _s(
        "ACTION_SERVER_SANIC_WORKERS",
        1,
        "action-server processes on its port (rasa_sdk reads it; over 1 needs SHOP_RATE_LIMIT_REDIS_URL)",
    )
    action_timeout_seconds: float = _s(
        "ACTION_TIMEOUT_SECONDS", 15.0, "Rasa apologises when an action takes longer"
    )
    catalog_warm_up: bool = _s(
        "CATALOG_WARM_UP", True, "load the catalog index and encoder before the first shopper asks"
    )
    catalog_index_dir: str = _s("CATALOG_INDEX_DIR", "", "FAISS index folder (blank: var/catalog_index)")
    catalog_index_type: str = _s(
        "CATALOG_INDEX_TYPE", "", "auto, flat, hnsw or ivf (blank: auto, by catalog size)"
    )
    spacy_catalog_dir: str = _s(
        "SPACY_CATALOG_DIR", "", "spaCy catalog pipeline folder (blank: var/spacy_catalog)"
    )
    rasa_port: int = _s("RASA_PORT", 5005, "Rasa server port (REST, socket.io, HTTP API)")
    rasa_telemetry_enabled: str = _s(
        "RASA_TELEMETRY_ENABLED", "false", "Rasa's usage telemetry (off: conversation data never leaves)"
    )
    sanic_request_max_size: int = _s(
        "SANIC_REQUEST_MAX_SIZE", 1048576, "request bodies above this many bytes get 413"
    )
    sanic_workers: int = _s(
        "SANIC_WORKERS",
        0,
        "Rasa server processes for `make run` and docker (0: one per core, at most 4; test stacks: 1)",
    )
    rasa_tf_threads: int = _s(
        "RASA_TF_THREADS",
        1,
        "TensorFlow/BLAS/encoder threads per server process, Rasa and actions (0: the libraries' own)",
    )
    rasa_max_concurrent_turns: int = _s(
        "RASA_MAX_CONCURRENT_TURNS",
        8,
        "turns a Rasa server process runs at once; the rest wait before the conversation lock (0: no limit)",
    )
    # Rasa's tracker and lock stores (endpoints.yml; the console reads the same)
    tracker_dialect: str = _s(
        "TRACKER_DIALECT", "sqlite", "tracker store dialect (`postgresql` in production)"
    )
    tracker_host: str = _s("TRACKER_HOST", "", "tracker store host (or a full URL)")
    tracker_port: str = _s("TRACKER_PORT", "", "tracker store port")
    tracker_db: str = _s(
        "TRACKER_DB", "var/tracker.db", "tracker store database (SQLite: a path from the project root)"
    )
    tracker_user: str = _s("TRACKER_USER", "", "tracker store user")
    tracker_password: str = _s(
        "TRACKER_PASSWORD", "", "tracker store password (a credential: set it, never commit it)"
    )
    lock_store_type: str = _s(
        "LOCK_STORE_TYPE",
        "ops.lock_store.SQLiteLockStore",
        "conversation locks: a SQLite file (one machine), `redis` (replicas) or `in_memory` (one process)",
    )
    lock_store_path: str = _s(
        "LOCK_STORE_PATH", "", "SQLite lock file (blank: beside a SQLite tracker DB, else var/locks.db)"
    )
    redis_host: str = _s("REDIS_HOST", "localhost", "lock store Redis host")
    redis_port: int = _s("REDIS_PORT", 6379, "lock store Redis port")
    redis_lock_db: int = _s("REDIS_LOCK_DB", 1, "lock store Redis database")
    redis_password: str = _s("REDIS_PASSWORD", "", "lock store Redis password (a credential)")
    # Storefront
    rasa_public_url: str = _s(
        "RASA_PUBLIC_URL", "http://localhost:5005", "where browsers reach Rasa's socket.io"
    )
    storefront_host: str = _s("STOREFRONT_HOST", "0.0.0.0", "where the storefront listens")
    storefront_port: int = _s("STOREFRONT_PORT", 8080, "storefront port")
    storefront_identity_ttl_s: int = _s(
        "STOREFRONT_IDENTITY_TTL_S", 3600, "lifetime of the chat identity token in each page, seconds"
    )
    storefront_secure_cookies: bool = _s(
        "STOREFRONT_SECURE_COOKIES", False, "cookies with Secure (behind HTTPS)"
    )
    # Review console
    console_host: str = _s("CONSOLE_HOST", "127.0.0.1", "where the console listens")
    console_port: int = _s("CONSOLE_PORT", 8081, "console port")
    console_db_url: str = _s("CONSOLE_DB_URL", "", "console database (blank: SQLite var/console.db)")
    console_tracker_url: str = _s(
        "CONSOLE_TRACKER_URL", "", "the tracker store as one URL (blank: from TRACKER_*)"
    )
    rasa_url: str = _s("RASA_URL", "http://localhost:5005", "where the console reaches Rasa's HTTP API")
    console_storefront_url: str = _s(
        "CONSOLE_STOREFRONT_URL",
        "",
        "where staff reach the storefront (blank: STOREFRONT_PUBLIC_URL, else local)",
    )
    console_ingest_interval: float = _s(
        "CONSOLE_INGEST_INTERVAL", 30.0, "seconds between ingestion runs (0: off)"
    )
    console_session_hours: float = _s("CONSOLE_SESSION_HOURS", 8.0, "console session lifetime, hours")
    console_cookie_secure: bool = _s(
        "CONSOLE_COOKIE_SECURE", False, "session cookie with Secure (behind HTTPS)"
    )
    console_nlu_dir: str = _s(
        "CONSOLE_NLU_DIR", "data/nlu", "training data the console reads (from the project root)"
    )
    console_nlu_export: str = _s(
        "CONSOLE_NLU_EXPORT", "data/nlu/console_export.yml", "where corrected examples are exported"
    )
    console_stories_dir: str = _s(
        "CONSOLE_STORIES_DIR", "tests/stories", "where test conversations are saved"
    )
    console_domain_file: str = _s("CONSOLE_DOMAIN_FILE", "domain.yml", "the domain the console reads")
    console_fallback_queue_threshold: int = _s(
        "CONSOLE_FALLBACK_QUEUE_THRESHOLD", 2, "fallbacks that queue a conversation for a person"
    )
    console_trusted_proxy_hops: int = _s(
        "CONSOLE_TRUSTED_PROXY_HOPS", 0, "proxies whose X-Forwarded-For is believed (0: none)"
    )
    console_login_max_failures: int = _s(
        "CONSOLE_LOGIN_MAX_FAILURES", 5, "failed logins per username before a lock"
    )
    console_login_max_failures_per_address: int = _s(
        "CONSOLE_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, "failed logins per client address before a lock"
    )
    console_login_window_seconds: int = _s(
        "CONSOLE_LOGIN_WINDOW_SECONDS", 900, "window of the login limits, seconds"
    )
    console_login_lock_seconds: int = _s(
        "CONSOLE_LOGIN_LOCK_SECONDS", 900, "how long a login lock holds, seconds"
    )
    console_admin_password: str = _s(
        "CONSOLE_ADMIN_PASSWORD",
        "",
        "password for `python -m console.create_admin` (blank: asked for; a credential)",
    )
    # Telegram (a key in credentials.yml wins)
    telegram_token: str = _s("TELEGRAM_TOKEN", "", "bot token (blank: channel off; a credential)")
    telegram_mode: str = _s("TELEGRAM_MODE", "", "`webhook` or `polling` (blank: webhook when a URL is set)")
    telegram_webhook_url: str = _s("TELEGRAM_WEBHOOK_URL", "", "public URL Telegram posts updates to")
    telegram_secret_token: str = _s(
        "TELEGRAM_SECRET_TOKEN", "", "webhook secret Telegram sends back (a credential)"
    )
    telegram_api_base_url: str = _s("TELEGRAM_API_BASE_URL", "https://api.telegram.org", "Bot API base URL")
    telegram_poll_timeout: int = _s("TELEGRAM_POLL_TIMEOUT", 30, "long-polling timeout, seconds")


@dataclass(frozen=True)
class Setting:
    """One declared setting, as the docs and checks see it."""

    attr: str
    env: str
    kind: str
    default: Any
    description: str

    def parse(self, value: str | None) -> Any:
        """``value`` (from the environment) as this setting's type; blank means the default."""
        text = (value or "").strip()
        if not text:
            return self.default
        try:
            return _PARSERS[self.kind](text)
        except (ValueError, InvalidOperation):
            raise ValueError(f"{self.env} must be {_KINDS[self.kind]}, got {text!r}") from None

    @property
    def default_text(self) -> str:
        """The default as written in config/defaults.env."""
        value = self.default
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, tuple):
            return ",".join(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return "" if value is None else str(value)


def _bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE or low in _FALSE:
        return low in _TRUE
    raise ValueError(text)


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite() or value < 0:
        raise ValueError(text)
    return value


def _decimal_or_off(text: str) -> Decimal | None:
    return None if text.lower() in ("off", "none") else _decimal(text)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


_PARSERS: dict[str, Any] = {
    "int": _count,
    "float": float,
    "str": str,
    "bool": _bool,
    "decimal": _decimal,
    "decimal_or_off": _decimal_or_off,
    "words": lambda text: tuple(w.strip() for w in text.split(",") if w.strip()),
}
_KINDS = {
    "int": "a whole number (0 or more)",
    "float": "a number",
    "str": "text",
    "bool": "1/0, true/false, yes/no or on/off",
    "decimal": "a non-negative decimal number",
    "decimal_or_off": "a non-negative decimal number or off",
    "words": "a comma-separated list",
}


def declared() -> tuple[Setting, ...]:
    """Every setting in declaration order."""
    return tuple(
        Setting(f.name, f.metadata["env"], f.metadata["kind"], f.default, f.metadata["doc"])
        for f in fields(ShopSettings)
    )


_BY_ENV = {s.env: s for s in declared()}


def load(env: Mapping[str, str] | None = None) -> ShopSettings:
    """Read every setting from ``env`` (default ``os.environ``) once, typed and checked.

    Raises ValueError naming the variable when a value can't be read as its type.
    """
    source = os.environ if env is None else env
    return ShopSettings(**{s.attr: s.parse(source.get(s.env)) for s in declared()})


def value(name: str, env: Mapping[str, str] | None = None) -> Any:
    """One declared setting, typed (for a reader that needs just this one); KeyError if undeclared."""
    source = os.environ if env is None else env
    return _BY_ENV[name].parse(source.get(name))


def raw(name: str, env: Mapping[str, str] | None = None) -> str:
    """A declared setting's value as text (its default when blank), for table-driven readers.

    KeyError for a variable that isn't declared here: every setting is.
    """
    setting = _BY_ENV[name]
    source = os.environ if env is None else env
    value = (source.get(name) or "").strip()
    return value or setting.default_text
