"""Opening specialops for one person: settings, store and the acting user."""

from __future__ import annotations

from dataclasses import dataclass

from specialops.config import Settings, resolve
from specialops.identity import Actor, os_login
from specialops.store.store import Store, open_store


@dataclass
class Context:
    """Everything a command or the app needs to act for one person."""

    settings: Settings
    store: Store
    actor: Actor

    def close(self) -> None:
        self.store.dispose()


def open_context(
    db: str | None = None,
    act_as: str | None = None,
    *,
    create: bool = False,
    require_user: bool = True,
) -> Context:
    """Resolve the database, open it (creating it when asked) and find the user.

    The login that creates a database becomes its admin.
    """
    from specialops.areas.people.actions import bootstrap_admin, has_users, resolve_actor

    settings = resolve(db)
    store = open_store(settings.db_url, create=create)
    try:
        login = os_login()
        if not has_users(store) and (create or not require_user):
            bootstrap_admin(store, login)
        actor = resolve_actor(store, login, act_as)
        store.warnings.extend(_recover_imports(store, actor))
    except BaseException:
        store.dispose()
        raise
    return Context(settings, store, actor)


def _recover_imports(store: Store, actor: Actor) -> list[str]:
    """Undo an import whose process died half-way through publishing (one read if none)."""
    from specialops.io.unfinished import recover

    return recover(store, actor)
