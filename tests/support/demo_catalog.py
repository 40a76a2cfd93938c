"""The full demo shop and its catalog index in a test's folder, for recommender tests.

Seeding the 2,000-product demo catalog takes about a second; encoding it takes minutes, so
the developer's index (``make catalog-index``) is copied when it is there and
:func:`catalog_index.build_index` only rebuilds what no longer fits the catalog.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from catalog_index import build_index, load_index
from catalog_index.index import CatalogIndex
from catalog_index.storage import FILES, default_index_dir
from shop.db.migrate import upgrade
from shop.db.session import make_engine, make_sessionmaker
from shop.seed.demo import SeedSize, seed_database


def demo_catalog(root: Path, now: datetime) -> tuple[sessionmaker, CatalogIndex]:
    """Seed the demo shop in ``root/shop.db`` (as of ``now``) and load its index from ``root/index``."""
    url = f"sqlite:///{root / 'shop.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_database(engine, now=now, size=SeedSize())
    sessions = make_sessionmaker(engine)
    dev = default_index_dir()
    if all((dev / f).exists() for f in FILES):
        shutil.copytree(dev, root / "index")
    build_index(sessions, root / "index")  # returns at once when the copy fits the catalog
    return sessions, load_index(root / "index", sessions)
