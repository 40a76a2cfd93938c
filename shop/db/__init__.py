"""Order database: models, sessions and migrations."""
