"""What deals a shopper can have right now: the answer to ``ask_discounts``.

Everyone sees the live public promotions and the public coupons they could use. A verified
customer also sees personal offers, each a coupon bound to them (``coupons.customer_id``)
and issued on first ask, so asking twice returns the same code:

- **welcome**: no counting orders yet -> the shop's first-order code (``SHOP_WELCOME_CODE``);
- **win-back**: last counting order at least ``SHOP_WINBACK_AFTER_DAYS`` (60) days ago ->
  a single-use personal code, one per lapse (keyed by that last order);
- **loyalty**: lifetime spend at or above a tier (``SHOP_LOYALTY_TIERS``, "500:5,1500:10")
  -> a personal percentage code for the highest tier reached, valid for
  ``SHOP_LOYALTY_VALID_DAYS`` (90) and renewed on asking once it has expired.

"Counting orders" are those neither cancelled nor returned, as for ``first_order_only``.
Personal codes are exclusive (they never stack) and for anyone else they do not exist.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Callable, Optional

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from shop import messages as m
from shop import settings as shop_settings
from shop.clock import naive_utc
from shop.db.pricing_models import CouponRow, PromotionRow
from shop.money import DEFAULT_CURRENCY
from shop.pricing.checks import check_terms
from shop.pricing.codes import normalize_code
from shop.pricing.model import Coupon, CouponKind, CustomerView, Promotion
from shop.pricing.rejections import Reason
from shop.pricing.rows import coupon_from_row, promotion_from_row
from shop.pricing.wording import describe_coupon, describe_promotion, format_percent, money_in, until

log = logging.getLogger(__name__)

#: Letters and digits that cannot be misread (no I, O, 0, 1).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
WIN_BACK_PREFIX = "COMEBACK"
LOYALTY_PREFIX = "LOYAL"


@dataclass(frozen=True)
class OfferView:
    """One deal, ready to say: ``code`` is None for an automatic promotion."""

    code: Optional[str]
    title: str
    sentence: str
    ends_at: Optional[datetime]
    kind: str  # "welcome", "win_back", "loyalty", "promotion" or "coupon"
    personal: bool = False
    #: ``lang`` -> (title, sentence) in that language; None: ``title``/``sentence`` in any.
    words: Optional[Callable[[str], tuple[str, str]]] = field(default=None, compare=False, repr=False)

    def in_language(self, lang: str) -> tuple[str, str]:
        """(title, sentence) as ``lang`` says them (English: ``title`` and ``sentence``)."""
        return self.words(lang) if self.words is not None and lang != "en" else (self.title, self.sentence)


@dataclass(frozen=True)
class LoyaltyTier:
    """Spend at least ``min_spend`` in all, get ``percent`` off with a personal code."""

    min_spend: Decimal
    percent: Decimal


@dataclass(frozen=True)
class OfferSettings:
    """Personal offers; see :meth:`from_env` for the variables and defaults."""

    welcome_code: Optional[str] = "WELCOME15"
    win_back_after_days: int = 60
    win_back_percent: Decimal = Decimal("15")
    win_back_valid_days: int = 30
    loyalty_tiers: tuple[LoyaltyTier, ...] = (
        LoyaltyTier(Decimal("500"), Decimal("5")),
        LoyaltyTier(Decimal("1500"), Decimal("10")),
    )
    loyalty_valid_days: int = 90

    @classmethod
    def from_env(cls) -> OfferSettings:
        """``SHOP_WELCOME_CODE`` (WELCOME15; ``off`` for none), ``SHOP_WINBACK_AFTER_DAYS``
        (60), ``SHOP_WINBACK_PERCENT`` (15), ``SHOP_WINBACK_VALID_DAYS`` (30),
        ``SHOP_LOYALTY_TIERS`` (``500:5,1500:10``: spend:percent; ``off`` for none) and
        ``SHOP_LOYALTY_VALID_DAYS`` (90)."""
        d = cls()
        welcome = shop_settings.raw("SHOP_WELCOME_CODE")
        tiers_raw = shop_settings.raw("SHOP_LOYALTY_TIERS")
        return cls(
            welcome_code=d.welcome_code
            if not welcome
            else (None if welcome.lower() in {"off", "none"} else normalize_code(welcome)),
            win_back_after_days=_int("SHOP_WINBACK_AFTER_DAYS", d.win_back_after_days),
            win_back_percent=_dec("SHOP_WINBACK_PERCENT", d.win_back_percent),
            win_back_valid_days=_int("SHOP_WINBACK_VALID_DAYS", d.win_back_valid_days),
            loyalty_tiers=d.loyalty_tiers if not tiers_raw else parse_tiers(tiers_raw),
            loyalty_valid_days=_int("SHOP_LOYALTY_VALID_DAYS", d.loyalty_valid_days),
        )


def _int(name: str, default: int) -> int:
    raw = shop_settings.raw(name)
    if not raw:
        return default
    value = int(raw)
    if value <= 0:
        raise ValueError(f"{name} must be a positive whole number, got {raw!r}")
    return value


def _dec(name: str, default: Decimal) -> Decimal:
    raw = shop_settings.raw(name)
    try:
        return Decimal(raw) if raw else default
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def parse_tiers(raw: str) -> tuple[LoyaltyTier, ...]:
    """``"500:5,1500:10"`` -> tiers sorted by spend; ``off`` -> none."""
    if raw.strip().lower() in {"off", "none"}:
        return ()
    tiers = []
    for part in raw.split(","):
        spend, _, percent = part.partition(":")
        try:
            tiers.append(LoyaltyTier(Decimal(spend.strip()), Decimal(percent.strip())))
        except InvalidOperation:
            raise ValueError(f"SHOP_LOYALTY_TIERS: expected spend:percent, got {part!r}") from None
    return tuple(sorted(tiers, key=lambda t: t.min_spend))


def random_code(prefix: str, length: int = 6) -> str:
    """``prefix`` plus ``length`` unambiguous random characters, the first a letter so the
    prefix's own digits stay readable: ``LOYAL5K7Q2M9``, never ``LOYAL55...``."""
    first = secrets.choice(CODE_ALPHABET[:24])
    return prefix + first + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length - 1))


def coupon_sentence(
    c: Coupon, currency: str = DEFAULT_CURRENCY, lang: str = "en", *, verify: bool = False
) -> str:
    """``Use SAVE10 for 10% off everything on orders of $50.00 or more, until 28 November 2024.``

    ``verify``: the code needs a verified shopper, who isn't yet (the public deals list).
    """
    conditions = ""
    if c.min_subtotal is not None:
        conditions += m.text("offer.min_subtotal", lang, amount=money_in(c.min_subtotal, currency, lang))
    if c.min_quantity is not None:
        conditions += m.text("offer.min_quantity", lang, n=m.number(c.min_quantity, lang))
    if c.first_order_only:
        conditions += m.text("offer.first_order", lang)
    return m.text(
        "offer.use_verify" if verify else "offer.use",
        lang,
        code=c.code,
        what=describe_coupon(c, currency, lang),
        conditions=conditions,
        until=until(c.expires_at, lang),
    )


def promotion_sentence(p: Promotion, currency: str = DEFAULT_CURRENCY, lang: str = "en") -> str:
    """``Camp week: 15% off Tents, applied automatically, until 12 June 2024.``"""
    return m.text(
        "offer.promotion",
        lang,
        name=p.name,
        what=describe_promotion(p, currency, lang),
        until=until(p.ends_at, lang),
    )


class OfferDesk:
    """Lists and issues offers on one database; used through ``PricingService.offers_for``."""

    def __init__(
        self,
        sessions: sessionmaker,
        settings: Optional[OfferSettings] = None,
        new_code: Callable[[str], str] = random_code,
        currency: str = DEFAULT_CURRENCY,
    ) -> None:
        self._sessions = sessions
        self.settings = settings or OfferSettings.from_env()
        self._new_code = new_code
        self.currency = currency

    def offers_for(
        self, customer: Optional[CustomerView], last_order: Optional[tuple[int, datetime]], now: datetime
    ) -> list[OfferView]:
        """Personal offers first (welcome, win-back, loyalty), then promotions, then public codes."""
        now = naive_utc(now)
        personal = self._personal(customer, last_order, now) if customer is not None else []
        taken = {o.code for o in personal}
        with self._sessions() as s:
            promos = [
                p
                for p in (
                    promotion_from_row(r)
                    for r in s.scalars(select(PromotionRow).where(PromotionRow.active, PromotionRow.public))
                )
                if p.live(now)
            ]
            public = [
                coupon_from_row(r)
                for r in s.scalars(
                    select(CouponRow)
                    .where(CouponRow.public, CouponRow.active, CouponRow.customer_id.is_(None))
                    .order_by(CouponRow.code)
                )
            ]
        out = list(personal)
        for p in sorted(promos, key=lambda p: (-p.priority, p.id)):
            out.append(
                OfferView(
                    None,
                    p.name,
                    promotion_sentence(p, self.currency),
                    p.ends_at,
                    "promotion",
                    words=partial(_promotion_words, p, self.currency),
                )
            )
        for c in public:
            if c.code in taken:
                continue
            refusal = check_terms(c, customer, now, self.currency)
            if refusal is not None and not (
                customer is None and refusal.reason == Reason.SIGN_IN_REQUIRED.value
            ):
                continue
            verify = refusal is not None
            out.append(
                OfferView(
                    c.code,
                    _title(c, self.currency),
                    coupon_sentence(c, self.currency, verify=verify),
                    c.expires_at,
                    "coupon",
                    words=partial(_coupon_words, c, self.currency, verify=verify),
                )
            )
        return out

    # -- personal offers ------------------------------------------------------------------

    def _personal(
        self, customer: CustomerView, last_order: Optional[tuple[int, datetime]], now: datetime
    ) -> list[OfferView]:
        cfg = self.settings
        offers: list[Optional[OfferView]] = []
        if customer.order_count == 0 and cfg.welcome_code:
            offers.append(self._welcome(customer, now))
        if last_order is not None and now - last_order[1] >= timedelta(days=cfg.win_back_after_days):
            offers.append(self._win_back(customer, last_order[0], now))
        tier = next((t for t in reversed(cfg.loyalty_tiers) if customer.lifetime_spend >= t.min_spend), None)
        if tier is not None:
            offers.append(self._loyalty(customer, tier, now))
        return [o for o in offers if o is not None]

    def _win_back(self, customer: CustomerView, last_order_id: int, now: datetime) -> Optional[OfferView]:
        """One single-use code per lapse, keyed by the last counting order; never renewed."""
        cfg, cur = self.settings, self.currency
        percent = cfg.win_back_percent
        c = self._issue(
            customer.id,
            f"win_back:{last_order_id}",
            now,
            lambda: _percent_code(
                self._new_code(WIN_BACK_PREFIX),
                percent,
                now + timedelta(days=cfg.win_back_valid_days),
                f"{format_percent(percent)} off your next order (win-back)",
                single_use=True,
            ),
            renew=False,
        )
        if c is None:
            return None

        def words(lang: str) -> tuple[str, str]:
            what = describe_coupon(c, cur, lang)
            sentence = m.text("offer.win_back", lang, code=c.code, what=what, until=until(c.expires_at, lang))
            return m.text("offer.title.win_back", lang), sentence

        title, sentence = words("en")
        return OfferView(c.code, title, sentence, c.expires_at, "win_back", personal=True, words=words)

    def _loyalty(self, customer: CustomerView, tier: LoyaltyTier, now: datetime) -> Optional[OfferView]:
        """The highest tier reached; a new code follows an expired or used one."""
        cfg, cur = self.settings, self.currency
        c = self._issue(
            customer.id,
            f"loyalty:{tier.percent.normalize():f}",
            now,
            lambda: _percent_code(
                self._new_code(f"{LOYALTY_PREFIX}{int(tier.percent)}"),
                tier.percent,
                now + timedelta(days=cfg.loyalty_valid_days),
                f"loyalty: {format_percent(tier.percent)} off",
            ),
            renew=True,
        )
        if c is None:
            return None

        def words(lang: str) -> tuple[str, str]:
            sentence = m.text(
                "offer.loyalty",
                lang,
                amount=money_in(tier.min_spend, cur, lang),
                code=c.code,
                what=describe_coupon(c, cur, lang),
                until=until(c.expires_at, lang),
            )
            return m.text("offer.title.loyalty", lang, percent=format_percent(tier.percent)), sentence

        title, sentence = words("en")
        return OfferView(c.code, title, sentence, c.expires_at, "loyalty", personal=True, words=words)

    def _welcome(self, customer: CustomerView, now: datetime) -> Optional[OfferView]:
        code = self.settings.welcome_code
        with self._sessions() as s:
            row = s.scalars(select(CouponRow).where(CouponRow.code == code)).first()
            c = coupon_from_row(row) if row is not None else None
        if c is None or c.owner_id is not None or check_terms(c, customer, now, self.currency) is not None:
            return None
        return OfferView(
            c.code,
            m.text("offer.title.welcome", "en"),
            coupon_sentence(c, self.currency),
            c.expires_at,
            "welcome",
            personal=True,
            words=lambda lang: (m.text("offer.title.welcome", lang), coupon_sentence(c, self.currency, lang)),
        )

    def _issue(
        self,
        customer_id: int,
        key: str,
        now: datetime,
        fields: Callable[[], dict[str, object]],
        *,
        renew: bool,
    ) -> Optional[Coupon]:
        """This customer's live coupon for ``key``, created on first ask.

        The unique ``(customer_id, offer_key)`` index settles two conversations asking at
        once: the loser re-reads the winner's code. With ``renew`` an expired or used-up
        code is followed by a new one (``key#2``, ``key#3``...); without, the offer is over.
        """
        for _attempt in range(4):
            with self._sessions() as s:
                rows = s.scalars(
                    select(CouponRow)
                    .where(
                        CouponRow.customer_id == customer_id,
                        or_(CouponRow.offer_key == key, CouponRow.offer_key.like(key + "#%")),
                    )
                    .order_by(CouponRow.id.desc())
                ).all()
                mine = list(rows)
                latest = coupon_from_row(mine[0]) if mine else None
            owner = CustomerView(id=customer_id)
            if latest is not None:
                refusal = check_terms(latest, owner, now, self.currency)
                if refusal is None:
                    return latest
                if not renew or refusal.reason == Reason.INACTIVE.value:
                    return None  # used, expired for good, or switched off by the shop
            slot = key if not mine else f"{key}#{len(mine) + 1}"
            try:
                with self._sessions.begin() as s:
                    s.add(
                        CouponRow(
                            customer_id=customer_id,
                            offer_key=slot,
                            created_at=now,
                            public=False,
                            stackable=False,
                            **fields(),
                        )
                    )
                log.info("personal offer issued", extra={"customer_id": customer_id, "offer": slot})
            except IntegrityError:
                continue  # a concurrent ask won (same slot) or a code collided: read again
        raise RuntimeError(f"could not issue offer {key} for customer {customer_id}")


def _percent_code(
    code: str, percent: Decimal, expires_at: datetime, description: str, *, single_use: bool = False
) -> dict[str, object]:
    """The columns of a personal percentage code (``single_use``: a global limit of one)."""
    fields: dict[str, object] = dict(
        code=code,
        kind=CouponKind.PERCENTAGE.value,
        value=percent,
        expires_at=expires_at,
        description=description,
    )
    if single_use:
        fields.update(single_use=True, usage_limit=1)
    return fields


def _title(c: Coupon, currency: str, lang: str = "en") -> str:
    text = describe_coupon(c, currency, lang)
    return text[:1].upper() + text[1:]


def _coupon_words(c: Coupon, currency: str, lang: str, *, verify: bool) -> tuple[str, str]:
    return _title(c, currency, lang), coupon_sentence(c, currency, lang, verify=verify)


def _promotion_words(p: Promotion, currency: str, lang: str) -> tuple[str, str]:
    return p.name, promotion_sentence(p, currency, lang)
