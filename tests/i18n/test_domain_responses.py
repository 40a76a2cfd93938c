"""Every response in domain.yml speaks English and Chinese (issue 14, deliver 3).

Each response keeps its English variation as the default (no condition) and adds one on
``language == zh``. Rasa's ResponseVariationFilter uses the conditional variations whenever
one matches and the defaults otherwise, so a response without a default would say nothing
to an English shopper, and one whose Chinese twin has other payloads would send a Chinese
shopper somewhere else. The checks below are plain functions over the parsed domain; each
is also run on a broken copy to show it can fail. The last part renders every response
through Rasa's own NLG, directly and the way an action's ``utter_message(response=...)``
comes back from the action server.
"""

from __future__ import annotations

import asyncio
import copy
import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.slots import CategoricalSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
RESPONSES: Dict[str, List[Dict[str, Any]]] = DOMAIN.responses
NAMES = sorted(RESPONSES)
ZH_CONDITION = [{"type": "slot", "name": "language", "value": "zh"}]
ZH_CONDITION_VARIATION: Dict[str, Any] = {"condition": ZH_CONDITION, "text": "请选择"}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LETTER = re.compile(r"[A-Za-z]")
#: A slot placeholder as Rasa's interpolator reads it; {{...}} in payloads is escaped JSON.
PLACEHOLDER = re.compile(r"(?<!\{)\{([^\n{}]+?)\}(?!\})")
#: Keys of custom payloads that are data, not words: the same in every language.
DATA_KEYS = {"payload", "url", "image", "sku", "id", "type", "price"}
CHANNELS = ("rest", "socketio", "telegram")


def defaults(variations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [v for v in variations if not v.get("condition")]


def chinese(variations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [v for v in variations if v.get("condition") == ZH_CONDITION]


def payloads(variation: Dict[str, Any]) -> List[str]:
    return [b["payload"] for b in variation.get("buttons") or []]


def data_leaves(obj: Any, key: str = "") -> List[Any]:
    """The language-independent values of a custom payload, in order."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in data_leaves(v, k)]
    if isinstance(obj, list):
        return [x for v in obj for x in data_leaves(v, key)]
    return [(key, obj)] if key in DATA_KEYS else []


def word_leaves(obj: Any, key: str = "") -> List[str]:
    """The strings a shopper reads in a custom payload (titles, texts, labels)."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in word_leaves(v, k)]
    if isinstance(obj, list):
        return [x for v in obj for x in word_leaves(v, key)]
    return [obj] if isinstance(obj, str) and key not in DATA_KEYS and LETTER.search(obj) else []


def placeholders(variation: Dict[str, Any]) -> set[str]:
    texts = [variation.get("text") or ""] + [b.get("title", "") for b in variation.get("buttons") or []]
    texts += word_leaves(variation.get("custom") or {})
    return {m for t in texts for m in PLACEHOLDER.findall(t)}


def structure_problems(variations: List[Dict[str, Any]]) -> List[str]:
    """A default, a Chinese variation, and nothing conditioned on anything else."""
    found = []
    if not defaults(variations):
        found.append("no unconditioned default: English conversations would get nothing")
    if not chinese(variations):
        found.append("no zh variation")
    for v in variations:
        if v.get("condition") and v["condition"] != ZH_CONDITION:
            found.append(f"unexpected condition {v['condition']}")
    en_channels = {v.get("channel") for v in defaults(variations)}
    zh_channels = {v.get("channel") for v in chinese(variations)}
    if en_channels and zh_channels and en_channels != zh_channels:
        # A channel-specific default outranks a channel-less conditional variation in Rasa.
        found.append("channel variations differ between languages")
    return found


def payload_problems(variations: List[Dict[str, Any]]) -> List[str]:
    """Buttons and custom data: the same payloads, in the same order, in both languages."""
    found = []
    reference = defaults(variations)[:1] + chinese(variations)
    for v in reference[1:] + defaults(variations)[1:]:
        if payloads(v) != payloads(reference[0]):
            found.append(f"payloads {payloads(v)} != {payloads(reference[0])}")
        if data_leaves(v.get("custom") or {}) != data_leaves(reference[0].get("custom") or {}):
            found.append("custom payload data differs")
        for key in ("image", "attachment"):
            if v.get(key) != reference[0].get(key):
                found.append(f"{key} differs")
    return found


def script_problems(variations: List[Dict[str, Any]]) -> List[str]:
    """Chinese words in the zh variation, none in the English one."""
    found = []
    for v in defaults(variations):
        words = [v.get("text") or ""] + [b["title"] for b in v.get("buttons") or []]
        words += word_leaves(v.get("custom") or {})
        found += [f"Han characters in English: {w!r}" for w in words if HAN.search(w)]
    for v in chinese(variations):
        if not HAN.search(v.get("text") or ""):
            found.append(f"zh text has no Han characters: {v.get('text')!r}")
        words = [b["title"] for b in v.get("buttons") or []] + word_leaves(v.get("custom") or {})
        found += [f"zh words not in Chinese: {w!r}" for w in words if LETTER.search(w) and not HAN.search(w)]
    return found


def placeholder_problems(variations: List[Dict[str, Any]]) -> List[str]:
    sets = {frozenset(placeholders(v)) for v in variations}
    return [f"placeholders differ between variations: {sorted(map(sorted, sets))}"] if len(sets) > 1 else []


CHECKS = [structure_problems, payload_problems, script_problems, placeholder_problems]


def tracker(language: Optional[str]) -> DialogueStateTracker:
    events = [] if language is None else [SlotSet("language", language)]
    return DialogueStateTracker.from_events("i18n", events, slots=DOMAIN.slots)


# --- the domain as written ---------------------------------------------------------------


def test_the_domain_has_the_responses_the_flows_use() -> None:
    # The FAQ answers are responses of the domain (none live in data/), and all are covered.
    assert len(NAMES) >= 24
    assert {n for n in NAMES if n.startswith("utter_faq/")} >= {
        "utter_faq/shipping_times", "utter_faq/return_policy", "utter_faq/payment_methods",
        "utter_faq/warranty", "utter_faq/international_shipping", "utter_faq/contact_hours",
        "utter_faq/order_changes",
    }  # fmt: skip


def test_the_language_slot_is_categorical_with_en_and_zh() -> None:
    slot = next(s for s in DOMAIN.slots if s.name == "language")
    assert isinstance(slot, CategoricalSlot)
    assert {"en", "zh"} <= set(slot.values)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_every_response_is_bilingual(name: str, check: Any) -> None:
    assert check(RESPONSES[name]) == []


@pytest.mark.parametrize("name", [n for n in NAMES if any(v.get("buttons") for v in RESPONSES[n])])
def test_chinese_buttons_are_translated_not_copied(name: str) -> None:
    english, zh = defaults(RESPONSES[name])[0], chinese(RESPONSES[name])[0]
    for en_button, zh_button in zip(english["buttons"], zh["buttons"], strict=True):
        if LETTER.search(en_button["title"]):
            assert zh_button["title"] != en_button["title"]


# --- the checks catch what they are for --------------------------------------------------


def broken(name: str, change: Any) -> List[Dict[str, Any]]:
    variations = copy.deepcopy(RESPONSES[name])
    change(variations)
    return variations


def test_a_response_without_a_zh_variation_is_caught() -> None:
    assert structure_problems(broken("utter_goodbye", lambda vs: vs.pop()))


def test_a_zh_only_response_is_caught_and_would_leave_english_silent() -> None:
    zh_only = broken("utter_goodbye", lambda vs: vs.pop(0))
    assert any("default" in p for p in structure_problems(zh_only))
    nlg = TemplatedNaturalLanguageGenerator({"utter_goodbye": zh_only})
    for language in (None, "en"):
        assert asyncio.run(nlg.generate("utter_goodbye", tracker(language), "rest")) is None


def test_a_condition_on_another_value_or_a_lone_channel_variation_is_caught() -> None:
    other = broken("utter_goodbye", lambda vs: vs[1].update(condition=[{**ZH_CONDITION[0], "value": "cn"}]))
    assert structure_problems(other)
    channel = broken("utter_goodbye", lambda vs: vs.append({"text": "Bye!", "channel": "telegram"}))
    assert structure_problems(channel)


def test_reordered_or_changed_payloads_are_caught() -> None:
    assert payload_problems(broken("utter_greet", lambda vs: vs[1]["buttons"].reverse()))
    assert payload_problems(broken("utter_you_are_welcome", lambda vs: vs[1]["buttons"].pop()))
    assert payload_problems(
        broken("utter_service_unavailable", lambda vs: vs[1]["buttons"][0].update(payload="/转人工"))
    )
    carousel = {"type": "carousel", "elements": [{"title": "Mug", "payload": "/add{{'sku':'A1'}}"}]}
    zh_carousel = {"type": "carousel", "elements": [{"title": "杯子", "payload": "/add{{'sku':'B2'}}"}]}
    zh_variation = {**ZH_CONDITION_VARIATION, "custom": zh_carousel}
    assert payload_problems([{"text": "Pick", "custom": carousel}, zh_variation])


def test_english_in_chinese_and_chinese_in_english_are_caught() -> None:
    assert script_problems(broken("utter_goodbye", lambda vs: vs[1].update(text=vs[0]["text"])))
    assert script_problems(broken("utter_goodbye", lambda vs: vs[0].update(text=vs[1]["text"])))
    assert script_problems(
        broken("utter_greet", lambda vs: vs[1]["buttons"][2].update(title=vs[0]["buttons"][2]["title"]))
    )
    card = {"elements": [{"title": "Blue mug", "payload": "/x"}]}
    assert script_problems([{"text": "Pick", "custom": card}, {**ZH_CONDITION_VARIATION, "custom": card}])


def test_a_placeholder_in_one_language_only_is_caught() -> None:
    one_sided = broken("utter_ask_email", lambda vs: vs[0].update(text="Thanks. The email for {order_id}?"))
    assert placeholder_problems(one_sided)
    both = broken("utter_ask_email", lambda vs: [v.update(text=v["text"] + " {order_id}") for v in vs])
    assert placeholder_problems(both) == []
    # Escaped JSON in payloads is not a placeholder.
    assert placeholders(RESPONSES["utter_you_are_welcome"][0]) == set()


# --- Rasa's own NLG picks the shopper's language -----------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("language", [None, "en", "zh", "ZH"])
def test_only_the_conversations_language_is_eligible(language: Optional[str], channel: str) -> None:
    variation_filter = ResponseVariationFilter(RESPONSES)
    slots = tracker(language).current_slot_values()
    for name in NAMES:
        eligible = variation_filter.responses_for_utter_action(name, channel, slots)
        want = chinese(RESPONSES[name]) if language in ("zh", "ZH") else defaults(RESPONSES[name])
        assert eligible == want, name


@pytest.mark.parametrize("language", [None, "en", "zh"])
def test_nlg_renders_every_response_in_the_slots_language(language: Optional[str]) -> None:
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    state = tracker(language)
    for name in NAMES:
        english = defaults(RESPONSES[name])[0]
        for _ in range(5):
            out = asyncio.run(nlg.generate(name, state, "rest"))
            assert out is not None, name
            assert bool(HAN.search(out["text"])) == (language == "zh"), (name, out["text"])
            # Payloads come out the same (and unescaped) whichever language speaks.
            rendered = [b["payload"] for b in out.get("buttons") or []]
            assert rendered == [p.replace("{{", "{").replace("}}", "}") for p in payloads(english)]


def test_the_rating_buttons_render_as_json_payloads_in_chinese() -> None:
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    out = asyncio.run(nlg.generate("utter_you_are_welcome", tracker("zh"), "rest"))
    assert out is not None
    assert [b["payload"] for b in out["buttons"]] == [f'/rate{{"csat_score":"{n}"}}' for n in range(1, 6)]


def test_switching_language_midway_switches_the_response() -> None:
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    state = tracker("zh")
    first = asyncio.run(nlg.generate("utter_ask_order_id", state, "rest"))
    state.update(SlotSet("language", "en"))
    second = asyncio.run(nlg.generate("utter_ask_order_id", state, "rest"))
    assert first is not None and second is not None
    assert HAN.search(first["text"]) and not HAN.search(second["text"])
    assert "104523" in first["text"] and "104523" in second["text"]


@pytest.mark.parametrize("language", [None, "en", "zh"])
def test_an_actions_utter_message_response_follows_the_language_slot(language: Optional[str]) -> None:
    # actions/base.py sends utter_message(response="utter_service_unavailable"); Rasa renders it
    # with the tracker as it was before the action ran, so its language is the slot's.
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(response="utter_service_unavailable")
    dispatcher.utter_message(response="utter_handoff_unavailable")
    nlg = TemplatedNaturalLanguageGenerator(RESPONSES)
    uttered = asyncio.run(
        RemoteAction._utter_responses(dispatcher.messages, CollectingOutputChannel(), nlg, tracker(language))
    )
    names = [u.metadata["utter_action"] for u in uttered]
    assert names == ["utter_service_unavailable", "utter_handoff_unavailable"]
    for u in uttered:
        assert bool(HAN.search(u.text or "")) == (language == "zh"), u.text
    titles = [b["title"] for b in uttered[0].data["buttons"]]
    assert titles == (["转人工客服"] if language == "zh" else ["Talk to a person"])
