"""Real browser (Playwright + Debian's Chromium): log in, filter to a fallback conversation,
correct an intent, export, take over a handoff and reply.

The shopper's side here is the fake Rasa HTTP API that records what the console appended; the
full round trip, with the storefront widget as the shopper in a second page and the real
assistant, is ``test_console_browser_stack.py``.
"""

from __future__ import annotations

import asyncio
import re

from harness.paths import ROOT
from shop.db.session import make_engine, make_sessionmaker
from shop.handoff import HandoffService
from tests.console.conftest import Console

#: The language column and filter as docs/ shows them.
SCREENSHOTS = ROOT / "docs" / "img"


async def test_review_and_handoff_in_a_real_browser(console: Console) -> None:
    from harness.chromium import async_chromium

    req = HandoffService(make_sessionmaker(make_engine(console.env.shop_url))).request(
        "conv-handoff", "telegram", "I want to talk to a real person"
    )
    base = str(console.client.make_url("")).rstrip("/")
    async with async_chromium() as browser:
        page = await browser.new_page()
        await page.goto(base + "/conversations")
        assert "/login" in page.url
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", "correct horse battery")
        await page.click("form.login button")
        assert page.url.endswith("/conversations"), (page.url, await page.content())
        await page.click("text=Read new conversations now")
        await page.goto(base + "/conversations")

        await page.select_option("select[name=fallback]", "yes")
        await page.click("#filters button[type=submit]")
        rows = page.locator("#conversation-list tbody tr")
        assert await rows.count() == 1
        await page.click("text=conv-fallback")
        assert await page.locator(".ev.user .text").first.text_content() == "blorp the flanges"
        # the shopper's markup is shown as text, never run
        assert await page.locator(".ev.user .text", has_text="<script>alert(1)</script>").count() == 1

        await page.click("header >> text=NLU inbox")
        row = page.locator("tr", has_text="blorp the flanges")
        await row.locator("input[name=intent]").fill("out_of_scope")
        await row.locator("form.correct button").click()
        await page.goto(base + "/nlu?status=approved")
        assert await page.locator("tr", has_text="blorp the flanges").count() == 1
        await page.click("#export")
        assert "Exported 1 examples" in (await page.text_content(".done") or "")
        assert "- blorp the flanges" in console.env.settings.export_file.read_text()

        await page.click("header >> text=Handoff")
        await page.locator("#handoff-queue tr", has_text="conv-handoff").locator("text=Take").click()
        assert re.search(rf"/handoff/{req.id}$", page.url)
        await page.fill("#reply-form textarea", "Hello, Ada here - let me check that order.")
        await page.click("#reply-form button")
        await page.click("text=Hand back to the bot")
    sent = [ev for ev in console.env.rasa.events() if ev.get("event") == "bot"]
    assert [ev["text"] for ev in sent] == [
        "Ada from our support team has joined the chat.",
        "Hello, Ada here - let me check that order.",
        "Ada has left the chat. You're back with the shop's assistant - ask me anything.",
    ]
    assert {"event": "resume"} in console.env.rasa.events()


async def test_language_column_and_filter_in_a_real_browser(console: Console) -> None:
    from harness.chromium import async_chromium
    from tests.console.test_console_languages import seed_languages

    await asyncio.to_thread(seed_languages, console.env)  # the writer runs its own event loop
    base = str(console.client.make_url("")).rstrip("/")
    async with async_chromium() as browser:
        page = await browser.new_page(viewport={"width": 1400, "height": 700})
        await page.goto(base + "/login")
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", "correct horse battery")
        await page.click("form.login button")
        await page.click("text=Read new conversations now")
        await page.goto(base + "/conversations")
        assert await page.locator("#conversation-list td.language").count() == 6
        await page.select_option("#filter-language", "zh")
        await page.click("#filters button[type=submit]")
        assert "language=zh" in page.url
        cells = await page.locator("#conversation-list td.language").all_text_contents()
        assert cells == ["中文 (Chinese)"] * 3
        senders = await page.locator("#conversation-list tbody tr td:nth-child(2)").all_text_contents()
        assert sorted(senders) == ["conv-switch", "conv-zh", "conv-zh-old"]
        await page.screenshot(path=str(SCREENSHOTS / "console-languages.png"))
        await page.click("text=conv-zh-old")
        assert await page.text_content("#conversation-language") == "中文 (Chinese)"
        assert await page.locator(".ev.user .text").first.text_content() == "退货要怎么弄"
