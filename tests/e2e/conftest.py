"""The e2e tests use the session's shared assistant (``stack``, ``shop_db``, ``sender`` in tests/conftest.py)."""
