"""The secrets every process needs, and the rule that no shipped or weak one is ever used.

Each secret protects one thing (see :data:`SECRETS`); none has a default in the repo.
``make run`` writes random per-install values into ``var/secrets.env`` (the environment
always wins over that file), tests generate their own, and ``docker/`` expects them from
the operator. :func:`require` is what a process calls at start:

* missing, blank or a value the project has ever shipped (:data:`KNOWN_DEVELOPMENT_SECRETS`)
  is refused in every environment;
* shorter than :data:`MIN_SECRET_BYTES` is refused when ``SHOP_ENV=production`` (a warning
  otherwise).

Pure functions over the environment; the error names the variable, never its value.
"""

from __future__ import annotations

import logging
import os
import secrets as _random
from collections.abc import Iterable, Mapping

__all__ = [
    "SECRETS",
    "KNOWN_DEVELOPMENT_SECRETS",
    "MIN_SECRET_BYTES",
    "InsecureSecret",
    "environment",
    "is_production",
    "demo_mode",
    "read",
    "require",
    "require_all",
    "check",
    "generate",
]

log = logging.getLogger(__name__)

#: Every signing key / shared token, and what it protects.
SECRETS: Mapping[str, str] = {
    "SHOP_IDENTITY_SECRET": "chat identity tokens the storefront gives a signed-in shopper's widget "
    "(checked by the action server)",
    "SHOP_COOKIE_SECRET": "the storefront's own cookies (signed-in customer, CSRF tokens)",
    "SHOP_SESSION_SECRET": "socket.io session ids the Rasa server issues to widgets",
    "SHOP_ACTION_TOKEN": "calls from Rasa to the action server's /webhook",
    "RASA_API_TOKEN": "Rasa's HTTP API (tracker reads, console hand-off)",
    "CONSOLE_SECRET": "the review console's session cookies",
}

#: Values this project has shipped or used as examples: never accepted anywhere.
KNOWN_DEVELOPMENT_SECRETS = frozenset(
    {
        "dev-only-change-me",
        "change-me",
        "changeme",
        "secret",
        "test-secret",
        "dev-secret",
    }
)

MIN_SECRET_BYTES = 32
PRODUCTION = "production"


class InsecureSecret(RuntimeError):
    """A process was about to start with a secret anyone could know."""


def environment(env: Mapping[str, str] | None = None) -> str:
    """``SHOP_ENV``: ``development`` (default) or ``production``."""
    env = os.environ if env is None else env
    return (env.get("SHOP_ENV", "") or "development").strip().lower()


def is_production(env: Mapping[str, str] | None = None) -> bool:
    return environment(env) == PRODUCTION


def demo_mode(env: Mapping[str, str] | None = None) -> bool:
    """Demo conveniences (the "signed in as" switch, demo seeding): never in production.

    ``SHOP_DEMO_MODE`` (``1``/``0``) decides elsewhere; its default is on in development.
    """
    env = os.environ if env is None else env
    if is_production(env):
        return False
    raw = env.get("SHOP_DEMO_MODE", "").strip().lower()
    return raw not in ("0", "false", "no", "off")


def read(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The variable's value, stripped, or None when unset or blank."""
    env = os.environ if env is None else env
    value = (env.get(name) or "").strip()
    return value or None


def check(name: str, value: str | None, env: Mapping[str, str] | None = None) -> str:
    """``value`` if it may be used as ``name``; else :class:`InsecureSecret` naming the variable."""
    what = SECRETS.get(name, "a secret")
    if value is None or not value.strip():
        raise InsecureSecret(
            f"{name} is not set. It protects {what}. `make run` generates one into var/secrets.env; "
            f"in production set a random value of at least {MIN_SECRET_BYTES} bytes."
        )
    value = value.strip()
    if value.lower() in KNOWN_DEVELOPMENT_SECRETS:
        raise InsecureSecret(f"{name} is a development value shipped with the project; set your own.")
    if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
        message = f"{name} is shorter than {MIN_SECRET_BYTES} bytes."
        if is_production(env):
            raise InsecureSecret(message + " Refusing to start with SHOP_ENV=production.")
        log.warning("event=weak_secret variable=%s", name)
    return value


def require(name: str, env: Mapping[str, str] | None = None) -> str:
    """The secret ``name`` from the environment, refused if missing, known or (production) short."""
    return check(name, read(name, env), env)


def require_all(names: Iterable[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """:func:`require` for each name; the first failure is raised."""
    return {name: require(name, env) for name in names}


def generate() -> str:
    """A fresh random secret (43 URL-safe characters, 256 bits)."""
    return _random.token_urlsafe(32)
