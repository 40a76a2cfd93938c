"""Attacks against the real running assistant (``stack`` from tests/conftest.py) and its web apps.

Each test drives the servers the way an attacker would (forged tokens, reused or foreign
sender ids, direct calls to the action server, oversized input) and checks nothing leaks.
"""
