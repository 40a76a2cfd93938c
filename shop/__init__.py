"""The shop's domain: order database, order and return services, pricing, recommendations.

Nothing in this package imports Rasa, so the console, the CLI and the tests can use it.
"""
