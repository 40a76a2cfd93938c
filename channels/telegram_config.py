"""Telegram channel settings: read from credentials.yml's block or TELEGRAM_* variables, checked.

Enable the channel in ``credentials.yml`` with an empty block; each setting then comes from
its environment variable (or from a key in the block, which wins)::

    channels.telegram.TelegramInput:

    TELEGRAM_TOKEN          BotFather's token; empty or unset: channel disabled (webhook -> 503)
    TELEGRAM_MODE           webhook | polling; empty: webhook if TELEGRAM_WEBHOOK_URL, else polling
    TELEGRAM_WEBHOOK_URL    public HTTPS URL of /webhooks/telegram/webhook, registered at start
    TELEGRAM_SECRET_TOKEN   required in webhook mode; Telegram sends it back in a header
    TELEGRAM_API_BASE_URL   default https://api.telegram.org (tests use a loopback stand-in)
    TELEGRAM_POLL_TIMEOUT   long-poll seconds, default 30

The shop's languages (``SHOP_LANGUAGES``, default ``en,zh``) say which ``language_code`` hints
the channel passes on (channels/telegram_texts.py).

Reading the environment here rather than writing ``${TELEGRAM_TOKEN}`` in the YAML keeps Rasa
starting when the variables are unset (Rasa's ``${}`` expansion fails on unset variables).
A bad value stops Rasa at start-up with a message naming the setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from rasa.shared.exceptions import RasaException

from shop import settings as shop_settings

__all__ = ["DEFAULT_API_BASE_URL", "ENV_VARS", "TelegramConfig"]

DEFAULT_API_BASE_URL = "https://api.telegram.org"
#: Where each setting comes from when credentials.yml does not give it.
ENV_VARS = {
    "token": "TELEGRAM_TOKEN",
    "mode": "TELEGRAM_MODE",
    "webhook_url": "TELEGRAM_WEBHOOK_URL",
    "secret_token": "TELEGRAM_SECRET_TOKEN",
    "api_base_url": "TELEGRAM_API_BASE_URL",
    "poll_timeout": "TELEGRAM_POLL_TIMEOUT",
}
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class TelegramConfig:
    """The Telegram channel's checked settings; an empty token means the channel is off."""

    token: str = ""
    mode: str = "webhook"
    webhook_url: str = ""
    secret_token: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    poll_timeout: int = 30
    #: ``SHOP_LANGUAGES``: the languages a user's ``language_code`` may hint, the default first.
    languages: Tuple[str, ...] = ("en", "zh")

    @property
    def default_language(self) -> str:
        """The shop's default language: the channel's own words when a user hints none."""
        return self.languages[0] if self.languages else "en"

    @property
    def enabled(self) -> bool:
        """A token is configured, so the channel talks to Telegram."""
        return bool(self.token)

    @classmethod
    def from_credentials(
        cls, credentials: Optional[Dict[str, Any]], environ: Optional[Mapping[str, str]] = None
    ) -> TelegramConfig:
        """Read and check the settings: a key in ``credentials`` wins, else its TELEGRAM_* variable.

        Empty values mean "not set"; without a token the channel is disabled.
        """
        given = credentials or {}
        creds = {}
        for key, var in ENV_VARS.items():
            value = given[key] if key in given else shop_settings.raw(var, environ)
            creds[key] = "" if value is None else str(value).strip()
        webhook_url = creds.get("webhook_url", "")
        mode = creds.get("mode", "").lower() or ("webhook" if webhook_url else "polling")
        if mode not in ("webhook", "polling"):
            raise RasaException(f"telegram: mode must be 'webhook' or 'polling', not {mode!r}")
        secret = creds.get("secret_token", "")
        if secret and not _SECRET_FORMAT.match(secret):
            raise RasaException("telegram: secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        config = cls(
            token=creds.get("token", ""),
            mode=mode,
            webhook_url=webhook_url,
            secret_token=secret,
            api_base_url=(creds.get("api_base_url", "") or DEFAULT_API_BASE_URL).rstrip("/"),
            poll_timeout=int(creds.get("poll_timeout", "") or 30),
            languages=_languages(shop_settings.raw("SHOP_LANGUAGES", environ)),
        )
        if config.enabled and mode == "webhook" and not secret:
            raise RasaException(
                "telegram: webhook mode needs a secret_token (TELEGRAM_SECRET_TOKEN), "
                "otherwise anyone could post updates as any user"
            )
        return config


def _languages(text: str) -> Tuple[str, ...]:
    """``"en, ZH"`` -> ``("en", "zh")``: lower case, no blanks or repeats, order kept."""
    out: list[str] = []
    for code in (c.strip().lower() for c in text.split(",")):
        if code and code not in out:
            out.append(code)
    return tuple(out) or ("en",)
