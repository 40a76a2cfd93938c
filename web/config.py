"""Storefront settings from the environment, each with a documented default.

The two signing keys have no default: :meth:`StoreConfig.from_env` takes them through
:func:`shop.secrets.require`, so a storefront without them (or with a value the project
ever shipped) refuses to start, naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shop import secrets
from shop import settings as shop_settings
from shop.config import default_db_url

__all__ = ["IDENTITY_SECRET", "COOKIE_SECRET", "StoreConfig"]

#: Signs the chat identity tokens the page gives a signed-in shopper's widget (action server checks).
IDENTITY_SECRET = "SHOP_IDENTITY_SECRET"
#: Signs the storefront's own cookie tokens and its CSRF tokens; never leaves the storefront.
COOKIE_SECRET = "SHOP_COOKIE_SECRET"


@dataclass(frozen=True)
class StoreConfig:
    """The storefront's settings, one field per environment variable (see :meth:`from_env`)."""

    #: ``SHOP_DB_URL``: the order database (products, customers, carts).
    db_url: str
    #: ``RASA_PUBLIC_URL``: where browsers reach Rasa's socket.io (default http://localhost:5005).
    rasa_url: str
    #: ``SHOP_IDENTITY_SECRET``: HMAC key shared with the action server (chat identity tokens).
    identity_secret: str
    #: ``SHOP_COOKIE_SECRET``: HMAC key of the ``shop_customer`` cookie and of CSRF tokens.
    cookie_secret: str
    #: ``SHOP_ENV`` / ``SHOP_DEMO_MODE``: the "signed in as" switch (off in production).
    demo_mode: bool = True
    #: ``STOREFRONT_HOST`` / ``STOREFRONT_PORT``: where the storefront listens.
    host: str = "0.0.0.0"
    port: int = 8080
    #: Lifetime of the identity token put into each page (seconds).
    identity_ttl_s: int = 3600
    #: Serve cookies with ``Secure`` (set ``STOREFRONT_SECURE_COOKIES=1`` behind HTTPS).
    secure_cookies: bool = False
    #: ``SHOP_LANGUAGES``: the languages the chat widget may speak, the shop's default first.
    #: One language fixes the widget's; several let the shopper's browser choose among them.
    languages: tuple[str, ...] = ("en", "zh")

    @property
    def chat_language(self) -> str | None:
        """The widget's language when the shop fixed it (a single language), else None."""
        return self.languages[0] if len(self.languages) == 1 else None

    def __post_init__(self) -> None:
        if not self.identity_secret or not self.cookie_secret:
            raise ValueError("the storefront needs both an identity secret and a cookie secret")
        if self.identity_secret == self.cookie_secret:
            raise ValueError(f"{IDENTITY_SECRET} and {COOKIE_SECRET} must be different values")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StoreConfig:
        """Settings from ``env`` (default ``os.environ``) through :func:`shop.settings.load`.

        Raises :class:`shop.secrets.InsecureSecret` naming the variable when a secret is
        missing, known or (``SHOP_ENV=production``) short, or when both are the same value.
        """
        keys = secrets.require_all((IDENTITY_SECRET, COOKIE_SECRET), env)
        if keys[IDENTITY_SECRET] == keys[COOKIE_SECRET]:
            raise secrets.InsecureSecret(
                f"{COOKIE_SECRET} must differ from {IDENTITY_SECRET}: one signs the storefront's "
                "cookies, the other the chat's identity tokens."
            )
        st = shop_settings.load(env)
        return cls(
            db_url=st.db_url or default_db_url(),
            rasa_url=st.rasa_public_url,
            identity_secret=keys[IDENTITY_SECRET],
            cookie_secret=keys[COOKIE_SECRET],
            demo_mode=secrets.demo_mode(env),
            host=st.storefront_host,
            port=_positive(st.storefront_port, "STOREFRONT_PORT"),
            identity_ttl_s=_positive(st.storefront_identity_ttl_s, "STOREFRONT_IDENTITY_TTL_S"),
            secure_cookies=st.storefront_secure_cookies,
            languages=_codes(st.shop_languages),
        )


def _codes(languages: tuple[str, ...]) -> tuple[str, ...]:
    """``SHOP_LANGUAGES`` as the widget takes them: lower case, no blanks or repeats, order kept.

    The assistant checks the codes (shop.language, which needs lingua: not in the web apps' venv).
    """
    out: list[str] = []
    for code in (c.strip().lower() for c in languages):
        if code and code not in out:
            out.append(code)
    return tuple(out) or ("en",)


def _positive(value: int, name: str) -> int:
    """``value`` if above 0; the storefront can't listen on port 0 or issue tokens that never live."""
    if value <= 0:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return value
