"""Running the assistant in production: scale-out, resilience and load tooling."""
