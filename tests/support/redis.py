"""A throwaway Redis server for tests (lives in :mod:`ops.local_services.redis`)."""

from ops.local_services.redis import start_redis

__all__ = ["start_redis"]
