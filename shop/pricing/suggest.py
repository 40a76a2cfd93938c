"""Price suggestions from the order history: ``python -m shop.pricing.suggest``.

For each product, a demand curve ``log(units per period) = a + b * log(price)`` is fitted
by least squares on the periods in which it sold (one observation per period and price
paid); ``b`` is the price elasticity. With a unit cost ``c`` and constant elasticity
``b < -1`` profit ``(p - c) * A * p**b`` peaks at ``p* = c * b / (1 + b)``; with
``b >= -1`` it keeps rising with price, so the upper bound wins. The suggestion is that
optimum clamped to the bounds:

- at most ``--max-change`` (0.15) away from the current price, and
- at least ``--min-margin`` (0.20) gross margin: ``(p - c) / p``.

Unit cost is ``products.cost`` when such a column exists, else ``--cost-ratio``
(``SHOP_COST_RATIO``, default 0.55) times the current list price. Products with too few
observations (``--min-obs``, 8), too few distinct prices (``--min-prices``, 3), a demand
that does not fall with price, or less than ``--min-confidence`` (medium: the 95 %
interval of the elasticity lies below zero) are skipped with the reason. Periods without
a sale are not observed, which biases slow sellers' elasticity towards zero.

It only prints: it never changes a price. Same database, same ``--now`` -> same output.
"""

from __future__ import annotations

import argparse
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Optional, Sequence

from sqlalchemy import inspect, select
from sqlalchemy.orm import sessionmaker

from shop import settings as shop_settings
from shop.clock import naive_utc
from shop.db.models import Order, OrderItem, Product
from shop.money import DEFAULT_CURRENCY, quantize
from shop.pricing.demand import DemandFit, Observation, Skip, best_price, fit_demand, profit_change

CONFIDENCE = ("low", "medium", "high")


@dataclass(frozen=True)
class SuggestConfig:
    """The bounds and thresholds of a suggestion run (the CLI's options)."""

    min_margin: float = 0.20
    max_change: float = 0.15
    cost_ratio: float = 0.55
    period_days: int = 7
    history_days: int = 180
    min_observations: int = 8
    min_prices: int = 3
    #: Least confidence in a falling demand curve to suggest anything: low, medium or high.
    min_confidence: str = "medium"
    exclude_statuses: tuple[str, ...] = ("cancelled",)

    def __post_init__(self) -> None:
        if not 0 <= self.min_margin < 1:
            raise ValueError("min margin must be in [0, 1)")
        if not 0 <= self.max_change < 1:
            raise ValueError("max change must be in [0, 1)")
        if not 0 < self.cost_ratio < 1:
            raise ValueError("cost ratio must be in (0, 1)")
        if self.period_days < 1 or self.history_days < self.period_days:
            raise ValueError("need period_days >= 1 and history_days >= period_days")
        if self.min_confidence not in CONFIDENCE:
            raise ValueError(f"min confidence must be one of {', '.join(CONFIDENCE)}")
        if self.min_observations < 3 or self.min_prices < 2:
            raise ValueError("a fit needs at least 3 observations and 2 distinct prices")


@dataclass(frozen=True)
class Suggestion:
    """A suggested price for one product, with the fit and the bound that set it."""

    sku: str
    name: str
    current: Decimal
    suggested: Decimal
    cost: Decimal
    fit: DemandFit
    bound: str  # optimum, max_change or min_margin
    profit_change: float  # relative, e.g. 0.042 for +4.2 %
    units_change: float

    @property
    def change(self) -> float:
        """Relative change from the current price (0.05 is +5 %)."""
        return float(self.suggested / self.current - 1)


@dataclass(frozen=True)
class Report:
    """Everything one run found: suggestions and skipped products."""

    now: datetime
    config: SuggestConfig
    cost_source: str
    suggestions: tuple[Suggestion, ...]
    skipped: tuple[tuple[str, Skip], ...]  # (sku, why)


def _has_cost_column(sessions: sessionmaker) -> bool:
    with sessions() as s:
        return any(col["name"] == "cost" for col in inspect(s.connection()).get_columns("products"))


def history(
    sessions: sessionmaker, now: datetime, config: SuggestConfig, product_ids: Optional[Sequence[int]] = None
) -> dict[int, list[Observation]]:
    """Units per (period, price paid) per product over the last ``history_days``."""
    now = naive_utc(now)
    since = now - timedelta(days=config.history_days)
    query = (
        select(OrderItem.product_id, Order.created_at, OrderItem.unit_price, OrderItem.quantity)
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            Order.created_at > since, Order.created_at <= now, Order.status.not_in(config.exclude_statuses)
        )
    )
    if product_ids is not None:
        query = query.where(OrderItem.product_id.in_(list(product_ids)))
    cells: dict[int, Counter[tuple[int, Decimal]]] = defaultdict(Counter)
    period = timedelta(days=config.period_days)
    with sessions() as s:
        for pid, at, unit_price, qty in s.execute(query):
            cells[pid][((now - at) // period, quantize(Decimal(str(unit_price)), DEFAULT_CURRENCY))] += qty
    return {
        pid: [Observation(float(price), float(units)) for (_, price), units in sorted(counter.items())]
        for pid, counter in cells.items()
    }


def suggest_prices(
    sessions: sessionmaker, now: datetime, config: SuggestConfig = SuggestConfig(), sku: Optional[str] = None
) -> Report:
    """Fit and price every product (or the one ``sku``); reads only."""
    now = naive_utc(now)
    with_cost = _has_cost_column(sessions)
    with sessions() as s:
        query = select(Product).order_by(Product.sku)
        if sku is not None:
            query = query.where(Product.sku == sku.strip().upper())
        products = s.scalars(query).all()
        costs = {p.id: getattr(p, "cost", None) for p in products} if with_cost else {}
    if sku is not None and not products:
        raise LookupError(f"no product with SKU {sku}")
    obs = history(sessions, now, config, [p.id for p in products] if sku is not None else None)
    suggestions: list[Suggestion] = []
    skipped: list[tuple[str, Skip]] = []
    for product in products:
        current = quantize(Decimal(str(product.price)), DEFAULT_CURRENCY)
        raw_cost = costs.get(product.id)
        cost = (
            quantize(Decimal(str(raw_cost)), DEFAULT_CURRENCY)
            if raw_cost is not None
            else quantize(current * Decimal(repr(config.cost_ratio)), DEFAULT_CURRENCY)
        )
        fit = fit_demand(obs.get(product.id, []), config.min_observations, config.min_prices)
        if isinstance(fit, Skip):
            skipped.append((product.sku, fit))
            continue
        interval = f"elasticity {fit.elasticity:+.2f}, 95% CI [{fit.ci_low:.2f}, {fit.ci_high:.2f}]"
        if fit.elasticity >= 0:
            skipped.append(
                (product.sku, Skip("no_price_response", f"demand did not fall as price rose: {interval}"))
            )
            continue
        if CONFIDENCE.index(fit.confidence) < CONFIDENCE.index(config.min_confidence):
            skipped.append((product.sku, Skip("low_confidence", f"{fit.confidence} confidence: {interval}")))
            continue
        chosen = best_price(current, cost, fit.elasticity, config.min_margin, config.max_change)
        if chosen is None:
            skipped.append(
                (
                    product.sku,
                    Skip("margin_unreachable", "the minimum margin needs more than the maximum change"),
                )
            )
            continue
        price, bound = chosen
        suggestions.append(
            Suggestion(
                sku=product.sku,
                name=product.name,
                current=current,
                suggested=price,
                cost=cost,
                fit=fit,
                bound=bound,
                profit_change=profit_change(current, price, cost, fit.elasticity),
                units_change=float(price / current) ** fit.elasticity - 1.0,
            )
        )
    suggestions.sort(key=lambda x: (-round(x.profit_change, 9), x.sku))
    return Report(
        now=now,
        config=config,
        cost_source="products.cost" if with_cost else f"{config.cost_ratio:g} x list price",
        suggestions=tuple(suggestions),
        skipped=tuple(skipped),
    )


def _pct(value: float) -> str:
    return f"{value * 100:+.1f}%"


def format_report(report: Report, top: int = 20) -> str:
    """The table the CLI prints, plus a line on what was skipped and why."""
    c = report.config
    lines = [
        f"Price suggestions at {report.now:%Y-%m-%d %H:%M} UTC: last {c.history_days} days in "
        f"{c.period_days}-day periods; cost = {report.cost_source}; "
        f"min margin {c.min_margin:.0%}, max change {c.max_change:.0%}. Nothing is changed.",
        "",
    ]
    header = (
        f"{'sku':<12} {'current':>9} {'suggested':>9} {'change':>7} {'elasticity':>10} "
        f"{'95% CI':>15} {'conf':<6} {'n':>3} {'set by':<10} {'profit':>7}"
    )
    lines += [header, "-" * len(header)]
    for x in report.suggestions[:top]:
        f = x.fit
        ci = f"[{f.ci_low:.2f}, {f.ci_high:.2f}]"
        lines.append(
            f"{x.sku:<12} {x.current:>9} {x.suggested:>9} {_pct(x.change):>7} {f.elasticity:>10.2f} "
            f"{ci:>15} {f.confidence:<6} {f.observations:>3} {x.bound:<10} {_pct(x.profit_change):>7}"
        )
    if not report.suggestions:
        lines.append("(no suggestions)")
    shown = min(top, len(report.suggestions))
    lines.append("")
    lines.append(f"{len(report.suggestions)} products fitted, {shown} shown; {len(report.skipped)} skipped")
    reasons = Counter(skip.reason for _, skip in report.skipped)
    if reasons:
        lines.append("skipped: " + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())))
    if len(report.skipped) == 1 and not report.suggestions:
        sku, skip = report.skipped[0]
        lines.append(f"{sku}: {skip.detail}")
    return "\n".join(lines)


def _default_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def main(argv: Optional[list[str]] = None) -> None:
    """``python -m shop.pricing.suggest``: print the suggestions; changes nothing."""
    from shop.db.session import make_engine, make_sessionmaker

    parser = argparse.ArgumentParser(description="Suggest profit-maximising prices from the order history.")
    parser.add_argument("--url", help="database URL (default: SHOP_DB_URL or var/shop.db)")
    parser.add_argument("--product", metavar="SKU", help="only this product (says why if skipped)")
    parser.add_argument("--min-margin", type=float, default=SuggestConfig.min_margin)
    parser.add_argument("--max-change", type=float, default=SuggestConfig.max_change)
    parser.add_argument(
        "--cost-ratio",
        type=float,
        default=float(shop_settings.value("SHOP_COST_RATIO")),
        help="unit cost as a share of list price when products has no cost column (SHOP_COST_RATIO, 0.55)",
    )
    parser.add_argument("--period-days", type=int, default=SuggestConfig.period_days)
    parser.add_argument("--days", type=int, default=SuggestConfig.history_days, help="history window")
    parser.add_argument("--min-obs", type=int, default=SuggestConfig.min_observations)
    parser.add_argument("--min-prices", type=int, default=SuggestConfig.min_prices)
    parser.add_argument(
        "--min-confidence",
        choices=CONFIDENCE,
        default=SuggestConfig.min_confidence,
        help="least confidence that demand falls with price (medium: 95%% CI below 0; high: also 3 SE)",
    )
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument(
        "--now", type=datetime.fromisoformat, help="reference time, naive UTC (default: the clock)"
    )
    args = parser.parse_args(argv)
    try:
        config = SuggestConfig(
            min_margin=args.min_margin,
            max_change=args.max_change,
            cost_ratio=args.cost_ratio,
            period_days=args.period_days,
            history_days=args.days,
            min_observations=args.min_obs,
            min_prices=args.min_prices,
            min_confidence=args.min_confidence,
        )
    except ValueError as exc:
        parser.error(str(exc))
    # SQLite hands NUMERIC back through float; prices are re-quantized to cents here.
    warnings.filterwarnings("ignore", r"Dialect sqlite\+pysqlite does \*not\* support Decimal")
    engine = make_engine(args.url)
    try:
        report = suggest_prices(make_sessionmaker(engine), args.now or _default_now(), config, args.product)
    except LookupError as exc:
        parser.exit(2, f"{exc}\n")
    finally:
        engine.dispose()
    print(format_report(report, args.top))


if __name__ == "__main__":
    main()
