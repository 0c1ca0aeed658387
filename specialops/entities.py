"""One description per entity: its fields, their kinds, rules and labels.

Import, export, ``specialops schema`` and the app's forms all read these
descriptions, so a rule is stated once. Each area registers its entities
with :func:`register` as it lands (SPEC §9.1 fixes the field names).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from specialops.errors import UsageError
from specialops.identity import Actor
from specialops.models.base import Record

Kind = Literal[
    "text",
    "int",
    "decimal",
    "money",
    "date",
    "datetime",
    "bool",
    "choice",
    "ref",
    "email",
    "percent",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Choice:
    """One allowed value of a choice field and its Chinese labels."""

    value: str
    zh_hant: str
    zh_hans: str
    # What other systems and people call it (``medium`` for a normal priority).
    aliases: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """``hotline (熱線/热线)``: the value and its labels, as a refusal lists them."""
        labels = self.zh_hant if self.zh_hant == self.zh_hans else f"{self.zh_hant}/{self.zh_hans}"
        return f"{self.value} ({labels})"


def choice_table(choices: Iterable[Choice]) -> dict[str, str]:
    """Every way of writing each choice, as :func:`header_key` folds it, → its value:
    ``walk-in``, ``walk_in``, ``Walk In`` and ``臨櫃`` are one value."""
    table: dict[str, str] = {}
    for choice in choices:
        for name in (choice.value, choice.zh_hant, choice.zh_hans, *choice.aliases):
            taken = table.setdefault(header_key(name), choice.value)
            if taken != choice.value:
                raise ValueError(f"{name!r} names both {taken} and {choice.value}")
    return table


_HEADER_NOISE = re.compile(r"[\s_\-‐-―・·．.]+")


def header_key(text: str) -> str:
    """What a column name is matched by: full-width forms folded (NFKC), case folded,
    spaces, underscores, hyphens and dots dropped (``Customer Name`` = ``customer_name``,
    ``ＮＡＭＥ`` = ``name``)."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())


_DASHES = re.compile(r"[‐-―−﹣]")


def code_key(text: str) -> str:
    """A record code as typed (``cus-000002``, ``ＣＵＳ－000003``) in the form it is stored:
    full-width forms folded, dashes as ``-``, upper case."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", text)).strip().upper()


@dataclass(frozen=True)
class FieldSpec:
    """One importable, exportable field.

    ``column`` is the model attribute it is stored in (``department`` →
    ``department_id`` for references). Money is stored in integer minor
    units (``scale`` decimals) and written as decimal text. ``pii`` fields
    are masked for roles without ``customer.reveal_pii``. A ``workflow``
    field holds the record's state in that workflow: an import never changes
    the state of an existing record (each step has its rules, checked where
    it is taken), and creates records only in the initial state unless
    ``new_in_any_state`` (records that arrive with their history, such as
    tickets handled elsewhere).
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    ref: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    help: str = ""
    column: str = ""
    pii: bool = False
    scale: int = 2
    workflow: str | None = None
    new_in_any_state: bool = False
    # Other names a file's header may give the field: its Chinese labels in both
    # scripts and what other systems call it (matched as :func:`header_key` says).
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")
        if not self.column:
            object.__setattr__(
                self, "column", f"{self.name}_id" if self.kind == "ref" else self.name
            )

    def choice_label(self, value: str) -> Choice | None:
        """The choice whose English value is ``value``."""
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row an import would write, as the entity's governor sees it.

    Values are by model column, as stored (money in minor units, references
    as ids, booleans as 0/1). ``old`` holds the record's current values of
    the file's columns and ``record_id`` its id; both are empty for a new
    record. ``changed`` names the columns the row changes (for a new record,
    every column it gives a value).
    """

    line: int
    record_id: int | None
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    changed: frozenset[str]

    @property
    def is_new(self) -> bool:
        return self.record_id is None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row the app's rules do not let the actor write: its line, the field and why."""

    line: int
    field: str | None
    reason: str


# ``governor(session, actor, rows)`` reads what its rules need once (``session`` is one
# read transaction), is handed the rows of one import in file order and yields the
# refused ones; rules over the whole file (a last admin) are decided once the rows end.
Governor = Callable[[Any, Actor, Iterator[RowChange]], Iterable[Refusal]]


@dataclass(frozen=True)
class EntitySpec:
    """An entity as import, export and forms see it; ``key`` identifies a record.

    ``derived`` columns are computed on import from a row's other values
    (a ticket's deadlines from its priority and opening time):
    ``derive(store)`` is called once per import and returns a function from
    the row's values by column to the derived ones; a derived column that
    the file also carries is filled only where the file left it empty.

    An import writes a record only as the app would: ``write_action`` is the
    permission every inserted or updated row needs (``None``: the governor
    decides per row), and ``governor`` applies the area's own rules to the
    rows that would be written (see :data:`Governor`). It is handed the new
    rows that give a ``guarded`` field a value and the updates that change
    one (``guarded=None``: every row that would be written).
    """

    name: str
    model: type[Record]
    key: str
    fields: tuple[FieldSpec, ...]
    label: str = ""
    read_action: str = "records.read"
    reveal_action: str = "customer.reveal_pii"
    derive: Callable[[Any], Callable[[dict[str, Any]], dict[str, Any]]] | None = None
    derived: tuple[str, ...] = ()
    # Derived columns an update computes again from the record as it will be (a risk's
    # level from its likelihood and impact); the others keep what the app computed.
    rederived: tuple[str, ...] = ()
    write_action: str | None = None
    governor: Governor | None = None
    guarded: tuple[str, ...] | None = None
    by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)
    by_header: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        by_header: dict[str, str] = {}
        for f in self.fields:
            for name in (f.name, *f.aliases):
                taken = by_header.setdefault(header_key(name), f.name)
                if taken != f.name:
                    raise ValueError(f"{self.name}: {name!r} names both {taken} and {f.name}")
        object.__setattr__(self, "by_header", by_header)
        if self.key not in self.by_name:
            raise ValueError(f"{self.name}: key {self.key!r} is not one of its fields")
        unknown = [n for n in self.guarded or () if n not in self.by_name]
        if unknown:
            raise ValueError(f"{self.name}: guarded {unknown} are not its fields")

    def field_named(self, header: str) -> str | None:
        """The field a file's column ``header`` gives (by name or alias), or ``None``."""
        return self.by_header.get(header_key(header))

    @property
    def guarded_columns(self) -> frozenset[str] | None:
        """The columns of the ``guarded`` fields (``None``: every column)."""
        if self.guarded is None:
            return None
        return frozenset(self.by_name[n].column for n in self.guarded)

    @property
    def key_field(self) -> FieldSpec:
        return self.by_name[self.key]

    @property
    def allocates_codes(self) -> bool:
        """Whether records without a key get a generated code (``CUS-000001``)."""
        model = self.model
        return bool(model.__code_prefix__) and model.__code_field__ == self.key_field.column

    def requires(self, f: FieldSpec) -> bool:
        """Whether a file must give ``f``: a required field, or a key no code is made for."""
        return f.required or (f.name == self.key and not self.allocates_codes)

    @property
    def columns(self) -> list[str]:
        """Field names in file order."""
        return [f.name for f in self.fields]

    @property
    def pii_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.pii]


ENTITIES: dict[str, EntitySpec] = {}


def register(spec: EntitySpec) -> EntitySpec:
    """Add an entity description (its name must be new)."""
    if spec.name in ENTITIES and ENTITIES[spec.name] is not spec:
        raise ValueError(f"entity {spec.name} is already registered")
    ENTITIES[spec.name] = spec
    return spec


def _load_areas() -> None:
    # Areas register their entities when imported; import them on first use.
    from specialops import areas

    areas.load()


def all_specs() -> list[EntitySpec]:
    """Every registered entity, areas included."""
    _load_areas()
    return list(ENTITIES.values())


def get(name: str) -> EntitySpec:
    """The description of ``name``, or a usage error listing the known ones."""
    if name not in ENTITIES:
        _load_areas()
    try:
        return ENTITIES[name]
    except KeyError:
        known = ", ".join(sorted(ENTITIES))
        raise UsageError(f"unknown entity '{name}'; choose one of: {known}") from None


def mask(value: str | None) -> str | None:
    """Hide personal data, keeping enough to recognise it (``****5678``, ``w***@example.com``)."""
    if not value:
        return value
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    keep = 4 if len(value) > 8 else max(len(value) // 4, 0)
    return "*" * (len(value) - keep) + value[len(value) - keep :] if keep else "*" * len(value)
