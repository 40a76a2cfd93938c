"""Human handoff, two-stage fallback, FAQ and small talk, end to end."""

from __future__ import annotations

import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from harness.stack import Stack
from shop.db.models import HandoffRequest
from tests.e2e.helpers import payloads, text_of

# Messages too vague to classify; the model must be unsure of at least one of them.
UNCLEAR = [
    "blorp the flanges zibble",
    "order",
    "my order",
    "the thing",
    "what",
    "something about my package and money",
    "hmm so yeah the thing with the stuff",
    "qwxz vrump plonk",
    "it",
    "can you",
]


def test_handoff_is_recorded_and_pauses_the_bot(stack: Stack, sender: str, shop_db: sessionmaker) -> None:
    reply = text_of(stack.say(sender, "I want to talk to a real person"))
    assert "support team" in reply
    with shop_db() as s:
        rows = s.scalars(select(HandoffRequest).where(HandoffRequest.sender_id == f"rest:{sender}")).all()
    assert [(r.status, r.channel) for r in rows] == [("open", "rest")]
    assert stack.say(sender, "hello?") == []
    assert stack.tracker(sender)["paused"] is True


def test_unclear_message_offers_likely_intents_as_buttons(stack: Stack, sender: str) -> None:
    unclear = [
        text
        for text in UNCLEAR
        if requests.post(
            f"{stack.rasa_url}/model/parse", params={"token": stack.token}, json={"text": text}
        ).json()["intent"]["name"]
        == "nlu_fallback"
    ]
    assert unclear, "the model is confident about every vague message: fallback never triggers"
    replies = stack.say(sender, unclear[0])
    options = payloads(replies)
    assert "Did you mean" in text_of(replies)
    assert "/out_of_scope" in options
    assert len(options) >= 2
    # Picking a suggestion continues as if the shopper had said it.
    follow = text_of(stack.say(sender, options[0]))
    assert follow and "Did you mean" not in follow


def test_faq_answers_from_the_retrieval_intent(stack: Stack, sender: str) -> None:
    assert "Visa" in text_of(stack.say(sender, "which credit cards do you accept"))
    assert "Canada" in text_of(stack.say(sender, "do you deliver internationally"))


def test_small_talk(stack: Stack, sender: str) -> None:
    assert "assistant" in text_of(stack.say(sender, "hello"))
    assert "bot" in text_of(stack.say(sender, "are you a human?"))
    assert "welcome" in text_of(stack.say(sender, "thanks!"))


def test_thanks_offers_a_rating_that_is_kept_in_the_tracker(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "thanks a lot")
    assert '/rate{"csat_score":"5"}' in payloads(replies)
    assert "feedback" in text_of(stack.say(sender, '/rate{"csat_score":"4"}'))
    assert stack.tracker(sender)["slots"]["csat_score"] == "4"
