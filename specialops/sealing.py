"""Customers' personal data in the audit log, sealed under one data key per customer.

The log keeps every entry unchanged for ever (its hash chain), yet a customer may
lawfully have their personal data erased (PIPL art. 47, Taiwan PDPA art. 11). So the
personal fields of an entry (a customer's phone, e-mail, address, ID number) are stored
encrypted with AES-GCM under a key kept per customer in ``customer_keys``, and the chain
hashes that stored, sealed form. Erasure destroys the key: every sealed value of that
customer becomes unreadable at once while no entry changes, so the chain still verifies
(crypto-shredding). The keys live in the same database, so sealing does not hide the
log from whoever can read the whole file; it keeps the values out of plain text, lets the
log show them only to roles that may see them, and makes erasure possible. A backup made
before an erasure still holds the key until that backup is discarded.
"""

from __future__ import annotations

import binascii
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, insert, select, update

from specialops import clock, entities
from specialops.models.core import CustomerKey

PREFIX = "sealed:v1:"
ERASED = "[erased]"
UNREADABLE = "[unreadable]"
# The entity whose record id owns a key; its pii fields are sealed under it.
OWNER_ENTITY = "customers"
_CHUNK = 500  # ids bound per key lookup
NONCE = 12  # bytes, AES-GCM's standard nonce


def personal_fields(entity: str) -> frozenset[str]:
    """The stored attributes of ``entity`` that hold a customer's personal data."""
    entities.all_specs()  # areas register their entities on first use
    spec = entities.ENTITIES.get(entity)
    if spec is None or not spec.pii_fields:
        return frozenset()
    if entity != OWNER_ENTITY:
        raise RuntimeError(
            f"{entity} has personal fields but sealing knows only the customers' own: "
            "teach specialops.sealing which customer owns them"
        )
    return frozenset(spec.by_name[name].column for name in spec.pii_fields)


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def owner_of(value: str) -> int | None:
    """The customer id a sealed value names (``None`` when it is not well formed)."""
    owner, _, _ = value[len(PREFIX) :].partition(":")
    return int(owner) if owner.isdecimal() else None


def _aad(owner: int, field: str) -> bytes:
    # Binds a value to its customer and field: it cannot be moved to another unnoticed.
    return b"%d:%s" % (owner, field.encode())


class KeyRing:
    """The keys of some customers, to seal and open their values."""

    def __init__(self, keys: Mapping[int, bytes | None], erased: Iterable[int] = ()) -> None:
        self.keys = dict(keys)
        self.erased = set(erased)
        self._ciphers: dict[int, AESGCM] = {}
        self._nonces = b""
        self._next = 0

    def _nonce(self) -> bytes:
        # Random nonces drawn from the OS a few thousand at a time (a bulk import seals
        # hundreds of thousands of values).
        at = self._next
        if at + NONCE > len(self._nonces):
            self._nonces, at = os.urandom(NONCE * 4096), 0
        self._next = at + NONCE
        return self._nonces[at : at + NONCE]

    def _cipher(self, owner: int) -> AESGCM | None:
        cipher = self._ciphers.get(owner)
        if cipher is None:
            key = self.keys.get(owner)
            if key is None:
                return None
            cipher = self._ciphers[owner] = AESGCM(key)
        return cipher

    def add_missing(self, owners: Iterable[int]) -> dict[int, bytes]:
        """New keys for those of ``owners`` without a live one; the caller stores them."""
        wanted = sorted({o for o in owners if self.keys.get(o) is None})
        material = os.urandom(32 * len(wanted))
        made = {owner: material[32 * i : 32 * (i + 1)] for i, owner in enumerate(wanted)}
        self.keys.update(made)
        return made

    def seal(self, owner: int, field: str, value: Any) -> Any:
        """A text ``value`` encrypted under the customer's key, as the log stores it
        (``None``, empty and non-text values stay as they are)."""
        if not value or type(value) is not str:
            return value
        cipher = self._ciphers.get(owner) or self._cipher(owner)
        if cipher is None:
            raise RuntimeError(f"no data key for customer {owner}")
        nonce = self._nonce()
        data = cipher.encrypt(nonce, value.encode(), b"%d:%s" % (owner, field.encode()))
        return f"{PREFIX}{owner}:{binascii.b2a_base64(nonce + data, newline=False).decode()}"

    def seal_rows(
        self, fields: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> Iterator[tuple[Any, ...]]:
        """``rows`` of ``(key, owner, value of each of fields…)`` with the values sealed as
        :meth:`seal` seals them: what a bulk import needs, in one tight loop."""
        aads = [b":" + name.encode() for name in fields]
        b64 = binascii.b2a_base64
        pool, at = b"", 0
        for key, owner, *values in rows:
            cipher = self._ciphers.get(owner) or self._cipher(owner)
            if cipher is None:
                raise RuntimeError(f"no data key for customer {owner}")
            head, tag = f"{PREFIX}{owner}:", b"%d" % owner
            sealed: list[Any] = [key]
            for value, aad in zip(values, aads, strict=True):
                if not value or type(value) is not str:
                    sealed.append(value)
                    continue
                if at + NONCE > len(pool):
                    pool, at = os.urandom(NONCE * 4096), 0
                nonce = pool[at : at + NONCE]
                at += NONCE
                data = cipher.encrypt(nonce, value.encode(), tag + aad)
                sealed.append(head + b64(nonce + data, newline=False).decode())
            yield tuple(sealed)

    def open(self, field: str, value: str) -> str:
        """The plain value of a sealed one, or :data:`ERASED` / :data:`UNREADABLE`."""
        owner = owner_of(value)
        if owner is None:
            return UNREADABLE
        cipher = self._cipher(owner)
        if cipher is None:
            return ERASED if owner in self.erased else UNREADABLE
        try:
            blob = binascii.a2b_base64(value.rpartition(":")[2])
            plain = cipher.decrypt(blob[:NONCE], blob[NONCE:], _aad(owner, field))
        except (binascii.Error, ValueError, InvalidTag):
            # A key made after an erasure cannot open what was sealed before it.
            return ERASED if owner in self.erased else UNREADABLE
        return plain.decode("utf-8")

    def seal_fields(
        self, owner: int | None, names: frozenset[str], fields: Mapping[str, Any] | None
    ) -> Mapping[str, Any] | None:
        """``fields`` with the personal values among ``names`` sealed."""
        if not fields or not names.intersection(fields):
            return fields
        if owner is None:
            raise ValueError("personal data can be sealed only for a known customer")
        return {k: self.seal(owner, k, v) if k in names else v for k, v in fields.items()}

    def seal_json(self, owner: int, names: frozenset[str], text: str | None) -> str | None:
        """The log's JSON text of some fields with the personal values sealed."""
        if text is None:
            return None
        fields = json.loads(text)
        sealed = self.seal_fields(owner, names, fields)
        if sealed is fields:
            return text
        return json.dumps(sealed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def holds_personal(names: frozenset[str], *fields: Mapping[str, Any] | None) -> bool:
    """Whether any of ``fields`` gives a value to one of ``names``."""
    return any(f and any(f.get(n) for n in names) for f in fields)


def ring(conn: Connection, owners: Iterable[int], *, create: bool = False) -> KeyRing:
    """The keys of ``owners``; with ``create`` (in a writing transaction) new ones for those
    without a live key."""
    table = CustomerKey.__table__  # type: ignore[attr-defined]
    wanted = sorted(set(owners))
    keys: dict[int, bytes | None] = {}
    erased: set[int] = set()
    query = select(table.c.customer_id, table.c.key, table.c.erased_at)
    if wanted and wanted[-1] - wanted[0] < 4 * len(wanted):
        # Mostly consecutive ids (a bulk import): one range read.
        lookups = [query.where(table.c.customer_id.between(wanted[0], wanted[-1]))]
    else:
        lookups = [
            query.where(table.c.customer_id.in_(wanted[start : start + _CHUNK]))
            for start in range(0, len(wanted), _CHUNK)
        ]
    for lookup in lookups:
        for owner, key, erased_at in conn.execute(lookup):
            keys[owner] = key
            if erased_at is not None:
                erased.add(owner)
    if len(lookups) == 1 and len(keys) > len(wanted):
        wanted_set = set(wanted)
        keys = {o: k for o, k in keys.items() if o in wanted_set}
        erased &= wanted_set
    found = KeyRing(keys, erased)
    if create:
        made = found.add_missing(wanted)
        now = clock.now()
        fresh = [
            {"customer_id": o, "key": k, "created_at": now}
            for o, k in made.items()
            if o not in keys
        ]
        if fresh:
            conn.execute(insert(table), fresh)
        for owner in (o for o in made if o in keys):  # renewed after an erasure
            conn.execute(
                update(table)
                .where(table.c.customer_id == owner)
                .values(key=made[owner], created_at=now)
            )
    return found


def destroy(conn: Connection, customer_id: int) -> None:
    """Destroy a customer's key for good (inside the caller's writing transaction)."""
    table = CustomerKey.__table__  # type: ignore[attr-defined]
    now = clock.now()
    done = conn.execute(
        update(table).where(table.c.customer_id == customer_id).values(key=None, erased_at=now)
    ).rowcount
    if not done:  # data logged before keys existed: the mark still says it was erased
        conn.execute(
            insert(table).values(customer_id=customer_id, key=None, created_at=now, erased_at=now)
        )
