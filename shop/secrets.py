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
:func:`ensure_file` (``python -m shop.secrets ensure var/secrets.env``) is the one place that
writes secrets: what ``make run`` calls.
"""

from __future__ import annotations

import logging
import os
import secrets as _random
import shlex
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from shop import settings

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
    "refuse_to_start",
    "ensure_file",
    "main",
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
    return str(settings.value("SHOP_ENV", env)).lower()


def is_production(env: Mapping[str, str] | None = None) -> bool:
    """``SHOP_ENV=production``: weak secrets refuse to start, demo conveniences are off."""
    return environment(env) == PRODUCTION


def demo_mode(env: Mapping[str, str] | None = None) -> bool:
    """Demo conveniences (the "signed in as" switch, demo seeding): never in production.

    ``SHOP_DEMO_MODE`` (``1``/``0``) decides elsewhere; its default is on in development.
    """
    if is_production(env):
        return False
    return bool(settings.value("SHOP_DEMO_MODE", env))


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


def refuse_to_start(
    names: Iterable[str], process: str, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """:func:`require_all` for a process entry point: on failure print why and exit (status 78)."""
    try:
        return require_all(names, env)
    except InsecureSecret as exc:
        print(f"{process} refuses to start: {exc}", file=sys.stderr)
        raise SystemExit(78) from None


#: Secrets an old install kept in a file of their own, read once into the secrets file.
LEGACY_FILES = {"RASA_API_TOKEN": "rasa_api_token"}


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export ") :]
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _usable(name: str, value: str | None) -> bool:
    try:
        check(name, value, {"SHOP_ENV": PRODUCTION})
    except InsecureSecret:
        return False
    return True


def ensure_file(path: str | Path, names: Iterable[str] = SECRETS) -> dict[str, str]:
    """Every secret in ``names`` from ``path``, generating (once) the missing or unusable ones.

    The file is ``NAME=value`` lines, mode 0600, rewritten only when something was added; a
    value from an old install's own file (:data:`LEGACY_FILES`, next to ``path``) is kept.
    """
    path = Path(path)
    values = _read_env_file(path)
    changed = False
    for name in names:
        if _usable(name, values.get(name)):
            continue
        legacy = LEGACY_FILES.get(name)
        old = (path.parent / legacy) if legacy else None
        old_value = old.read_text(encoding="utf-8").strip() if old is not None and old.is_file() else None
        values[name] = old_value if old_value is not None and _usable(name, old_value) else generate()
        changed = True
    if changed or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# Per-install secrets from `make run` (shop/secrets.py). Never commit or share.\n")
            out.write("# Variables set in the environment win over these.\n")
            for name, value in values.items():
                out.write(f"{name}={value}\n")
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return values


def main(argv: list[str] | None = None) -> int:
    """``python -m shop.secrets ensure FILE``: print ``export`` lines for the unset secrets."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m shop.secrets", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ensure = sub.add_parser("ensure", help="generate missing secrets into FILE once, print exports")
    ensure.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    values = ensure_file(args.file)
    for name, value in values.items():
        if name in SECRETS and read(name) is None:
            print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
