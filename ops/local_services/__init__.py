"""Start real backing servers on this machine: free ports, PostgreSQL, Redis.

Used by ``ops.cluster`` (the local scale-out cluster), and re-exported for the tests by
``tests.support`` so product code never imports the test package.
"""
