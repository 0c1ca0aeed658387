"""``specialops db check``: is this database healthy?"""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING, Any

from specialops.audit import verify

if TYPE_CHECKING:
    from specialops.context import Context


def check_database(ctx: Context) -> dict[str, Any]:
    """Integrity, schema version, journal mode, file mode and the audit chain."""
    from specialops.store.migrate import current, head

    store = ctx.store
    report: dict[str, Any] = {"database": str(store.path or store.label)}
    problems: list[str] = []
    with store.engine.connect() as conn:
        report["schema"] = current(conn)
        report["schema_newest"] = head()
        if store.is_sqlite:
            integrity = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            report["integrity"] = integrity
            if integrity != "ok":
                problems.append(f"integrity: {integrity}")
            report["journal_mode"] = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        chain = verify(conn)
        report["audit_entries"] = chain.checked
        report["audit_chain"] = "intact" if chain.ok else f"broken at entry {chain.first_bad_id}"
        if not chain.ok:
            problems.append(f"audit log broken at entry {chain.first_bad_id}: {chain.reason}")
    if store.path is not None:
        mode = stat.S_IMODE(store.path.stat().st_mode)
        report["file_mode"] = f"{mode:04o}"
        if mode & stat.S_IROTH:
            problems.append("the file is readable by every user of this machine")
    report["problems"] = problems
    report["ok"] = not problems
    return report
