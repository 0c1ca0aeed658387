"""``specialops customers …``: erase a customer's personal data on a lawful request."""

from __future__ import annotations

from typing import Annotated

import typer

from specialops.cli.common import JsonFlag
from specialops.cli.output import emit_json, say

customers_app = typer.Typer(help="Customers: erase a customer's personal data on request.")


@customers_app.command("erase")
def erase(
    code: Annotated[str, typer.Argument(help="The customer's code, e.g. CUS-000001.")],
    reason: Annotated[
        str, typer.Option("--reason", help="The request it answers (kept in the audit log).")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Erase the customer's personal data here and in the audit log (admins only)."""
    from specialops.areas.customers import actions
    from specialops.areas.customers.choices import PII_FIELDS
    from specialops.cli.common import context

    c = context()
    try:
        customer = actions.erase(c.store, c.actor, code, reason)
    finally:
        c.close()
    if as_json:
        emit_json({"customer": customer.code, "erased": list(PII_FIELDS)})
    else:
        say(f"erased the personal data of {customer.code}: {', '.join(PII_FIELDS)}")
