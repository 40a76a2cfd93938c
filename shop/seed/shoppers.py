"""The demo shoppers: the fixed demo customers first, then Faker names up to the seed's size.

Each shopper sticks to one or two favourite leaf categories (drawn by category weight),
which is the structure the recommender finds in the order history.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import timedelta

from faker import Faker

from shop.seed.catalog_vocab import EMAIL_DOMAINS, LEAVES
from shop.seed.fixtures import DEMO_CUSTOMERS
from shop.seed.tables import HISTORY_DAYS, SeedData

__all__ = ["Shopper", "Shoppers", "build_shoppers"]

_SLUG = re.compile(r"[^a-z]")


@dataclass
class Shopper:
    """A generated customer and the address and tastes their orders use."""

    id: int
    name: str
    street: str
    city: str
    state: str
    postcode: str
    favourites: tuple[str, ...]  # favourite leaf names


@dataclass
class Shoppers:
    """Every generated customer, in id order, and by email."""

    all: list[Shopper] = field(default_factory=list)
    by_email: dict[str, Shopper] = field(default_factory=dict)


def build_shoppers(data: SeedData, rng: random.Random, fake: Faker, count: int) -> Shoppers:
    """Add the demo customers and then random ones to ``data`` until there are ``count``."""
    shoppers = Shoppers()
    for email, name in DEMO_CUSTOMERS.items():
        _add(data, rng, fake, shoppers, name, email)
    while len(shoppers.all) < count:
        first, last = fake.first_name(), fake.last_name()
        base = f"{_SLUG.sub('', first.lower())}.{_SLUG.sub('', last.lower())}"
        email = f"{base}@{rng.choice(EMAIL_DOMAINS)}"
        while email in shoppers.by_email:
            email = f"{base}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        _add(data, rng, fake, shoppers, f"{first} {last}", email)
    return shoppers


def _add(data: SeedData, rng: random.Random, fake: Faker, shoppers: Shoppers, name: str, email: str) -> None:
    leaves = [leaf.name for leaf in LEAVES]
    weights = [leaf.weight for leaf in LEAVES]
    favourites = tuple(dict.fromkeys(rng.choices(leaves, weights, k=rng.choice((1, 2, 2)))))
    shopper = Shopper(
        len(shoppers.all) + 1, name, fake.street_address(), fake.city(),
        fake.state_abbr(include_territories=False), fake.zipcode(), favourites,
    )  # fmt: skip
    shoppers.all.append(shopper)
    shoppers.by_email[email] = shopper
    data.add(
        "customers",
        {"email": email, "name": name, "phone": fake.numerify("(###) ###-####"),
         "created_at": data.now - timedelta(days=rng.randint(HISTORY_DAYS + 10, 900))},
    )  # fmt: skip
