"""Custom Rasa NLU components of the shop assistant (referenced by module path in config.yml)."""
