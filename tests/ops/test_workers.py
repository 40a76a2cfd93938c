"""ops.workers: how many Rasa workers run.sh and the Rasa container start."""

from __future__ import annotations

from pathlib import Path

from ops.workers import MAX_AUTO, effective_workers

SQLITE_LOCKS = {"LOCK_STORE_TYPE": "ops.lock_store.SQLiteLockStore"}


def credentials(tmp_path: Path, telegram: str = "") -> Path:
    path = tmp_path / "credentials.yml"
    path.write_text("ops.resilience.ResilientRestInput:\n" + telegram, encoding="utf-8")
    return path


def test_zero_is_one_per_core_up_to_the_cap(tmp_path: Path) -> None:
    env = {**SQLITE_LOCKS, "SANIC_WORKERS": "0"}
    assert effective_workers(env, credentials(tmp_path), cores=2) == (2, [])
    assert effective_workers(env, credentials(tmp_path), cores=64) == (MAX_AUTO, [])
    assert effective_workers(env, credentials(tmp_path), cores=1) == (1, [])


def test_an_explicit_count_wins_over_the_cores(tmp_path: Path) -> None:
    env = {**SQLITE_LOCKS, "SANIC_WORKERS": "3"}
    assert effective_workers(env, credentials(tmp_path), cores=2) == (3, [])


def test_in_memory_locks_mean_one_worker(tmp_path: Path) -> None:
    count, reasons = effective_workers(
        {"LOCK_STORE_TYPE": "in_memory", "SANIC_WORKERS": "2"}, credentials(tmp_path)
    )
    assert count == 1 and "in-memory" in reasons[0]


def test_telegram_polling_means_one_worker_webhook_does_not(tmp_path: Path) -> None:
    creds = credentials(tmp_path, "channels.telegram.TelegramInput:\n")
    polling = {**SQLITE_LOCKS, "SANIC_WORKERS": "2", "TELEGRAM_TOKEN": "123:abc"}
    count, reasons = effective_workers(polling, creds)
    assert count == 1 and "Telegram" in reasons[0]
    webhook = {**polling, "TELEGRAM_WEBHOOK_URL": "https://shop.example/webhooks/telegram/webhook",
               "TELEGRAM_SECRET_TOKEN": "s3cret"}  # fmt: skip
    assert effective_workers(webhook, creds) == (2, [])
    no_token = {**SQLITE_LOCKS, "SANIC_WORKERS": "2"}
    assert effective_workers(no_token, creds) == (2, [])
