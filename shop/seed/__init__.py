"""Deterministic demo data for the order database (``python -m shop.seed.demo``)."""
