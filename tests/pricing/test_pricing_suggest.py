"""Price suggestions: the fit, the bounded optimum, the history query and the CLI."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import update

from shop.db.models import Order, OrderItem
from shop.db.session import make_engine, make_sessionmaker
from shop.pricing.demand import DemandFit, Observation, Skip, best_price, fit_demand, profit_change
from shop.pricing.suggest import SuggestConfig, format_report, main, suggest_prices
from shop.seed.demo import seed_database
from tests.conftest import FIXED_NOW
from tests.pricing.conftest import NOW, build_shop

D = Decimal


def curve(elasticity: float, prices=(90, 95, 100, 105, 110), scale=1000.0, repeat=2):
    return [Observation(p, scale * p**elasticity) for p in prices for _ in range(repeat)]


# the fit ---------------------------------------------------------------------------------


def test_fit_recovers_a_known_elasticity_exactly():
    fit = fit_demand(curve(-2.0, scale=5e6))
    assert isinstance(fit, DemandFit)
    assert fit.elasticity == pytest.approx(-2.0, abs=1e-9)
    assert fit.r2 == pytest.approx(1.0) and fit.observations == 10 and fit.prices == 5
    assert fit.confidence == "high"


def test_noisy_flat_demand_has_low_confidence():
    obs = [
        Observation(p, u)
        for p, u in [(90, 2), (95, 1), (100, 3), (105, 1), (110, 2), (90, 1), (100, 1), (110, 3)]
    ]
    fit = fit_demand(obs)
    assert isinstance(fit, DemandFit) and fit.confidence == "low" and fit.ci_low < 0 < fit.ci_high


@pytest.mark.parametrize(
    "obs, reason",
    [
        ([], "no_sales"),
        (curve(-2.0, repeat=1), "too_few_observations"),  # 5 < 8
        ([Observation(100, u) for u in (1, 2, 3, 4, 5, 6, 7, 8, 9)], "too_few_prices"),
        ([Observation(p, 1) for p in (100, 110) for _ in range(5)], "too_few_prices"),
    ],
)
def test_not_enough_history_is_skipped_with_a_reason(obs, reason):
    skip = fit_demand(obs)
    assert isinstance(skip, Skip) and skip.reason == reason and skip.detail


# the bounded optimum ---------------------------------------------------------------------


def test_elasticity_minus_two_sets_the_price_at_twice_the_cost_when_allowed():
    # p* = c * b / (1 + b) = 55 * -2 / -1 = 110: +10 %, inside the 15 % bound
    assert best_price(D("100.00"), D("55.00"), -2.0, 0.2, 0.15) == (D("110.00"), "optimum")
    assert best_price(D("100.00"), D("55.00"), -2.0, 0.2, 0.05) == (D("105.00"), "max_change")


def test_very_elastic_demand_is_held_by_the_lower_bounds():
    # p* = 55 * 5 / 4 = 68.75, below the -15 % floor of 85
    assert best_price(D("100.00"), D("55.00"), -5.0, 0.2, 0.15) == (D("85.00"), "max_change")
    # a 40 % minimum margin needs 55 / 0.6 = 91.67 (rounded up to the cent)
    assert best_price(D("100.00"), D("55.00"), -5.0, 0.4, 0.15) == (D("91.67"), "min_margin")


def test_inelastic_demand_goes_to_the_upper_bound_and_no_price_fits_impossible_bounds():
    assert best_price(D("100.00"), D("55.00"), -0.5, 0.2, 0.15) == (D("115.00"), "max_change")
    assert best_price(D("100.00"), D("95.00"), -3.0, 0.3, 0.10) is None  # needs 135.71 > 110


def test_profit_change_at_the_optimum_is_the_best_in_the_bounds():
    best = profit_change(D("100"), D("110"), D("55"), -2.0)
    assert best == pytest.approx((55 / 45) * (110 / 100) ** -2 - 1)
    for p in ("100", "105", "109", "111", "115"):
        assert profit_change(D("100"), D(p), D("55"), -2.0) < best
    assert profit_change(D("100"), D("100"), D("55"), -2.0) == 0


def test_config_rejects_nonsense():
    for bad in (dict(min_margin=1.2), dict(max_change=-0.1), dict(cost_ratio=0), dict(min_confidence="x")):
        with pytest.raises(ValueError):
            SuggestConfig(**bad)


# from the database -----------------------------------------------------------------------


def history_with_elasticity(shop, elasticity: float) -> None:
    """Twelve weeks of tent sales at five prices, units following ``elasticity`` exactly."""
    factors = (0.9, 0.95, 1.0, 1.05, 1.1, 0.95, 1.0, 0.9, 1.1, 1.05, 1.0, 0.9)
    for week, f in enumerate(factors):
        price = (D("200.00") * D(str(f))).quantize(D("0.01"))
        units = round(40 * f**elasticity)
        order_id = shop.order(shop.alice, [(shop.tent, units)], status="delivered")
        with shop.sessions.begin() as s:
            s.execute(
                update(Order)
                .where(Order.id == order_id)
                .values(created_at=NOW - timedelta(days=7 * week + 1))
            )
            s.execute(update(OrderItem).where(OrderItem.order_id == order_id).values(unit_price=price))


def test_synthetic_history_with_elasticity_minus_two_suggests_the_known_optimum(db):
    shop = build_shop(db.sessions)
    history_with_elasticity(shop, -2.0)
    report = suggest_prices(db.sessions, NOW, SuggestConfig())
    (s,) = report.suggestions
    assert s.sku == "TNT-1" and s.cost == D("110.00")
    assert s.fit.elasticity == pytest.approx(-2.0, abs=0.05) and s.fit.confidence == "high"
    assert s.bound == "optimum" and abs(s.suggested - D("220.00")) <= D("3.00")  # 2 x cost
    assert s.profit_change > 0
    assert {sku for sku, _ in report.skipped} == {"SCK-1", "MUG-1"}
    tight = suggest_prices(db.sessions, NOW, SuggestConfig(max_change=0.05), sku="tnt-1").suggestions[0]
    assert (tight.suggested, tight.bound) == (D("210.00"), "max_change")


def test_one_product_says_why_it_was_skipped(db, capsys):
    shop = build_shop(db.sessions)
    history_with_elasticity(shop, 0.5)  # sells more when dearer
    report = suggest_prices(db.sessions, NOW, SuggestConfig(), sku="TNT-1")
    ((sku, skip),) = report.skipped
    assert (sku, skip.reason) == ("TNT-1", "no_price_response")
    assert "TNT-1: demand did not fall as price rose" in format_report(report)
    with pytest.raises(LookupError):
        suggest_prices(db.sessions, NOW, SuggestConfig(), sku="NOPE")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The full deterministic demo seed (SQLite), as ``python -m shop.seed.demo`` builds it."""
    from shop.db.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('suggest') / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_database(engine, now=FIXED_NOW)
    yield url, make_sessionmaker(engine)
    engine.dispose()


def test_demo_history_gives_bounded_deterministic_suggestions(demo_db):
    _, sessions = demo_db
    config = SuggestConfig(min_margin=0.2, max_change=0.15)
    report = suggest_prices(sessions, FIXED_NOW, config)
    assert len(report.suggestions) >= 3
    reasons = {skip.reason for _, skip in report.skipped}
    assert {"no_sales", "too_few_observations"} <= reasons
    for s in report.suggestions:
        assert abs(s.suggested - s.current) <= s.current * D("0.15") + D("0.01")
        assert (s.suggested - s.cost) / s.suggested >= D("0.2")
        assert s.cost == (s.current * D("0.55")).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert s.fit.elasticity < 0 and s.fit.confidence in ("medium", "high")
        assert s.fit.observations >= config.min_observations and s.fit.prices >= config.min_prices
        assert math.isfinite(s.profit_change) and s.profit_change >= 0
    assert suggest_prices(sessions, FIXED_NOW, config) == report
    tight = suggest_prices(sessions, FIXED_NOW, SuggestConfig(max_change=0.05, min_margin=0.45))
    for s in tight.suggestions:
        assert abs(s.suggested - s.current) <= s.current * D("0.05") + D("0.01")
        assert (s.suggested - s.cost) / s.suggested >= D("0.45")


def test_cli_prints_the_table(demo_db, capsys):
    url, _ = demo_db
    main(["--url", url, "--now", FIXED_NOW.isoformat(), "--top", "3"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("Price suggestions at 2024-06-01 12:00 UTC")
    assert lines[2].split()[:5] == ["sku", "current", "suggested", "change", "elasticity"]
    assert len([ln for ln in lines[4:] if ln and ln[0].isupper() and "-" in ln.split()[0]]) == 3
    assert "skipped:" in out and "Nothing is changed." in out
    main(["--url", url, "--now", FIXED_NOW.isoformat(), "--top", "3"])
    assert capsys.readouterr().out == out  # deterministic
