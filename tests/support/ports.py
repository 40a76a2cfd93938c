"""Free ports and waiting for one (lives in :mod:`ops.local_services.ports`)."""

from ops.local_services.ports import free_port, wait_for_port

__all__ = ["free_port", "wait_for_port"]
