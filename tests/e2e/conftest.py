"""The e2e tests use the session's shared assistant.

``stack``, ``shop_db`` and ``sender`` are defined in tests/conftest.py; the assistant itself
is :mod:`harness.stack`.
"""
