"""Database access: engine factory, sessions, schema upgrades, codes."""

from specialops.store.store import Store

__all__ = ["Store"]
