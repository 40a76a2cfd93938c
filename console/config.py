"""Console settings, read from :mod:`shop.settings` (where every default is declared)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from console.languages import parse_languages
from console.login_limits import LoginLimits
from shop import secrets
from shop import settings as shop_settings
from shop.secrets import require

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(value: str) -> Path:
    """A configured path; a relative one is taken from the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def tracker_url_from_env(st: shop_settings.ShopSettings | None = None) -> str:
    """The tracker store URL built from the same ``TRACKER_*`` variables as endpoints.yml.

    ``CONSOLE_TRACKER_URL`` overrides them. A relative SQLite path is taken from the project
    root, where ``rasa run`` is started.
    """
    st = st or shop_settings.load()
    if st.console_tracker_url:
        return st.console_tracker_url
    dialect, db, host = st.tracker_dialect, st.tracker_db, st.tracker_host
    if dialect.startswith("sqlite"):
        return f"sqlite:///{_path(db)}"
    if "://" in host:  # Rasa accepts a complete URL in the host field too
        return host
    port = st.tracker_port
    url = URL.create(
        dialect,
        username=st.tracker_user or None,
        password=st.tracker_password or None,
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
    token = secrets.read("RASA_API_TOKEN")
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
    #: pictures (STOREFRONT_PUBLIC_URL, else the local storefront on STOREFRONT_PORT)
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
    #: SHOP_LANGUAGES: the shop's languages, its default first (conversations' and examples'
    #: languages, the language filter's choices; console.languages)
    languages: tuple[str, ...] = ("en", "zh")

    @classmethod
    def from_env(cls, require_secret: bool = True) -> ConsoleSettings:
        """Settings from the environment; CONSOLE_SECRET is required (``shop.secrets.require``)
        unless ``require_secret`` is False (``create_admin`` opens no sessions)."""
        st = shop_settings.load()
        return cls(
            secret=require("CONSOLE_SECRET") if require_secret else "",
            console_db_url=st.console_db_url or _default_console_db(),
            tracker_url=tracker_url_from_env(st),
            shop_db_url=st.db_url or _default_shop_db(),
            rasa_url=st.rasa_url.rstrip("/"),
            storefront_url=(st.storefront_public_url or f"http://localhost:{st.storefront_port}").rstrip("/"),
            rasa_token=_rasa_token(),
            host=st.console_host,
            port=st.console_port,
            ingest_interval=st.console_ingest_interval,
            session_hours=st.console_session_hours,
            cookie_secure=st.console_cookie_secure,
            nlu_dir=_path(st.console_nlu_dir),
            export_file=_path(st.console_nlu_export),
            stories_dir=_path(st.console_stories_dir),
            domain_file=_path(st.console_domain_file),
            fallback_queue_threshold=st.console_fallback_queue_threshold,
            trusted_proxy_hops=st.console_trusted_proxy_hops,
            login_limits=LoginLimits(
                max_failures=st.console_login_max_failures,
                max_failures_per_address=st.console_login_max_failures_per_address,
                window_seconds=st.console_login_window_seconds,
                lock_seconds=st.console_login_lock_seconds,
            ),
            languages=parse_languages(st.shop_languages),
        )


def redacted(url: str) -> str:
    """A database URL safe for logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return "<unparseable url>"
