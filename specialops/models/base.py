"""The base of every business record: a version, timestamps, who saved it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from specialops import clock

# Named constraints from day one, so later migrations can alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata


class Record(SQLModel):
    """A business record: versioned for optimistic concurrency, audited on every change.

    ``__entity__`` is the plural name used by the audit log, import/export
    and the command line; ``__code_prefix__`` (when set) makes the store
    allocate a human code such as ``PRJ-0001`` on insert.
    """

    __entity__: ClassVar[str] = ""
    __code_prefix__: ClassVar[str | None] = None
    __code_width__: ClassVar[int] = 4
    __code_field__: ClassVar[str] = "code"

    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=clock.now, nullable=False)
    updated_at: datetime = Field(default_factory=clock.now, nullable=False)
    updated_by: str | None = Field(default=None, max_length=64)

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}

    @property
    def human_code(self) -> str:
        """The code people use for this record."""
        return str(getattr(self, self.__code_field__, None) or getattr(self, "id", ""))
