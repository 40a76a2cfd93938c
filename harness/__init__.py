"""The test harness: start the real assistant and its backing servers on loopback.

Tests, benchmarks and the scale-out tool import this package; no product package does
(``tests/test_architecture.py`` checks it). One module per thing it starts:

* :mod:`harness.paths` - where the project, its virtualenvs and the trained model are.
* :mod:`harness.ports` - free loopback ports.
* :mod:`harness.processes` - child processes: start, wait for health, stop; waiting on a condition.
* :mod:`harness.env` - the environment an install sees (defaults, fresh secrets).
* :mod:`harness.postgres`, :mod:`harness.redis`, :mod:`harness.nginx`, :mod:`harness.chromium` -
  Debian's servers and browser, found on this machine or a clear failure.
* :mod:`harness.stack` - action server + Rasa on SQLite (the end-to-end tests' assistant).
* :mod:`harness.webapps` - the storefront (``python -m web``) as a process.
* :mod:`harness.cluster` - PostgreSQL + Redis + action server + N Rasa replicas.
* :mod:`harness.scaleout` - the concurrent-conversation load test run against a cluster.

A missing piece (Chromium, nginx, PostgreSQL, Redis, the trained model) raises
:class:`harness.paths.Missing`: under ``make test`` that is a failure, never a skip.
"""
