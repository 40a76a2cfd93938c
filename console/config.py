"""Console settings from environment variables, each with a documented default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from console.login_limits import LoginLimits
from shop.secrets import require

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def tracker_url_from_env() -> str:
    """The tracker store URL built from the same ``TRACKER_*`` variables as endpoints.yml.

    ``CONSOLE_TRACKER_URL`` overrides them. A relative SQLite path is taken from the project
    root, where ``rasa run`` is started.
    """
    explicit = _env("CONSOLE_TRACKER_URL")
    if explicit:
        return explicit
    dialect = _env("TRACKER_DIALECT", "sqlite")
    db = _env("TRACKER_DB", "var/tracker.db")
    host = _env("TRACKER_HOST")
    if dialect.startswith("sqlite"):
        path = Path(db)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        return f"sqlite:///{path}"
    if "://" in host:  # Rasa accepts a complete URL in the host field too
        return host
    port = _env("TRACKER_PORT")
    url = URL.create(
        dialect,
        username=_env("TRACKER_USER") or None,
        password=_env("TRACKER_PASSWORD") or None,
        host=host or None,
        port=int(port) if port else None,
        database=db,
    )
    return url.render_as_string(hide_password=False)


def _default_console_db() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'console.db'}"


def _default_shop_db() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}"


def _rasa_token() -> str:
    token = _env("RASA_API_TOKEN")
    if token:
        return token
    path = PROJECT_ROOT / "var" / "rasa_api_token"
    return path.read_text().strip() if path.exists() else ""


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the console reads and writes, and how it behaves."""

    #: CONSOLE_SECRET: keys the session-token hashes (rotating it ends every session) and the
    #: login-failure rows. No default: ``build_app`` refuses an empty, known or short one.
    secret: str = field(default="", repr=False)
    console_db_url: str = field(default_factory=_default_console_db)
    tracker_url: str = "sqlite:///var/tracker.db"
    shop_db_url: str = field(default_factory=_default_shop_db)
    rasa_url: str = "http://localhost:5005"
    #: where staff reach the storefront: carousel cards link to its product pages and show its
    #: pictures (CONSOLE_STOREFRONT_URL, else STOREFRONT_PUBLIC_URL, else the local storefront)
    storefront_url: str = "http://localhost:8080"
    rasa_token: str = ""
    host: str = "127.0.0.1"
    port: int = 8081
    #: seconds between background ingestion runs; 0 turns the timer off
    ingest_interval: float = 30.0
    session_hours: float = 8.0
    cookie_secure: bool = False
    nlu_dir: Path = PROJECT_ROOT / "data" / "nlu"
    export_file: Path = PROJECT_ROOT / "data" / "nlu" / "console_export.yml"
    stories_dir: Path = PROJECT_ROOT / "tests" / "stories"
    domain_file: Path = PROJECT_ROOT / "domain.yml"
    #: fallbacks in one conversation that put it in the handoff queue
    fallback_queue_threshold: int = 2
    page_size: int = 50
    #: reverse proxies in front of the console that append to X-Forwarded-For (nginx in
    #: docker/); 0: the client address is the connection's and the header is ignored
    trusted_proxy_hops: int = 0
    login_limits: LoginLimits = field(default_factory=LoginLimits)

    @classmethod
    def from_env(cls, require_secret: bool = True) -> ConsoleSettings:
        """Settings from the environment; CONSOLE_SECRET is required (``shop.secrets.require``)
        unless ``require_secret`` is False (``create_admin`` opens no sessions)."""
        export = Path(_env("CONSOLE_NLU_EXPORT", str(cls.export_file)))
        return cls(
            secret=require("CONSOLE_SECRET") if require_secret else "",
            console_db_url=_env("CONSOLE_DB_URL", _default_console_db()),
            tracker_url=tracker_url_from_env(),
            shop_db_url=_env("SHOP_DB_URL", _default_shop_db()),
            rasa_url=_env("RASA_URL", "http://localhost:5005").rstrip("/"),
            storefront_url=_env(
                "CONSOLE_STOREFRONT_URL", _env("STOREFRONT_PUBLIC_URL", "http://localhost:8080")
            ).rstrip("/"),
            rasa_token=_rasa_token(),
            host=_env("CONSOLE_HOST", "127.0.0.1"),
            port=int(_env("CONSOLE_PORT", "8081")),
            ingest_interval=float(_env("CONSOLE_INGEST_INTERVAL", "30")),
            session_hours=float(_env("CONSOLE_SESSION_HOURS", "8")),
            cookie_secure=_env("CONSOLE_COOKIE_SECURE", "0") in ("1", "true", "yes"),
            nlu_dir=Path(_env("CONSOLE_NLU_DIR", str(cls.nlu_dir))),
            export_file=export,
            stories_dir=Path(_env("CONSOLE_STORIES_DIR", str(cls.stories_dir))),
            domain_file=Path(_env("CONSOLE_DOMAIN_FILE", str(cls.domain_file))),
            fallback_queue_threshold=int(_env("CONSOLE_FALLBACK_QUEUE_THRESHOLD", "2")),
            trusted_proxy_hops=int(_env("CONSOLE_TRUSTED_PROXY_HOPS", "0")),
            login_limits=LoginLimits(
                max_failures=int(_env("CONSOLE_LOGIN_MAX_FAILURES", "5")),
                max_failures_per_address=int(_env("CONSOLE_LOGIN_MAX_FAILURES_PER_ADDRESS", "20")),
                window_seconds=int(_env("CONSOLE_LOGIN_WINDOW_SECONDS", "900")),
                lock_seconds=int(_env("CONSOLE_LOGIN_LOCK_SECONDS", "900")),
            ),
        )


def redacted(url: str) -> str:
    """A database URL safe for logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return "<unparseable url>"
