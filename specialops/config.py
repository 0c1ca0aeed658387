"""Where the database is and what the person has configured.

The database is found from ``--db``, else ``SPECIALOPS_DB``, else the
``db`` key of ``config.toml`` in the platform's config directory, else
``specialops.db`` in the platform's user data directory.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_path, user_data_path

from specialops.errors import UsageError

APP_NAME = "specialops"
SQLITE_PREFIX = "sqlite:///"


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` location, taken literally (never URL-decoded)."""
    return Path(url.removeprefix(SQLITE_PREFIX)) if url.startswith(SQLITE_PREFIX) else None


def config_file() -> Path:
    """The TOML file holding the person's settings."""
    override = os.environ.get("SPECIALOPS_CONFIG")
    return Path(override) if override else user_config_path(APP_NAME) / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Resolved settings: the database URL and the user's key map."""

    db_url: str
    db_source: str
    keymap: dict[str, str] = field(default_factory=dict)

    @property
    def db_path(self) -> Path | None:
        """The database file, when the database is SQLite on disk."""
        return sqlite_path(self.db_url)

    @property
    def db_label(self) -> str:
        """A short name of the database for headers and messages (no password)."""
        if self.db_path is not None:
            return self.db_path.name
        from sqlalchemy.engine import make_url

        url = make_url(self.db_url)
        return f"{url.get_backend_name()}:{url.database or ''}"


def _read_config() -> dict:
    path = config_file()
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except PermissionError:
        return {}  # a config we may not read is not ours
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read config file {path}: {error}") from error


_URL_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_POSTGRES = ("postgresql", "postgres")


def to_url(location: str) -> str:
    """Turn a path or URL given by a person into the location the store opens.

    A path is a path: a ``?``, ``%`` or ``file:`` in it is part of the file
    name. Only ``postgresql://`` (``postgres://``, ``postgresql+driver://``)
    and ``sqlite:///PATH`` are URLs; the path of the latter is taken literally
    too. The result for a file is ``sqlite:///`` followed by its absolute path
    as it is (see :func:`specialops.store.store.sqlite_path`).
    """
    found = _URL_SCHEME.match(location)
    if found is None:
        return SQLITE_PREFIX + str(Path(location).expanduser().resolve())
    scheme = found["scheme"].lower()
    if location == "sqlite://":
        return location  # in memory
    if scheme == "sqlite" and location.startswith(SQLITE_PREFIX):
        path = location.removeprefix(SQLITE_PREFIX)
        return SQLITE_PREFIX + str(Path(path).expanduser().resolve()) if path else location
    if scheme.partition("+")[0] in _POSTGRES:
        if scheme == "postgres":
            return "postgresql://" + location[found.end() :]
        return location
    raise UsageError(
        f"'{location}' is not a database specialops opens: give a file path "
        "(./NAME for a file whose name looks like a URL) or a postgresql:// URL"
    )


def resolve(db: str | None = None) -> Settings:
    """Resolve the settings, ``db`` being the ``--db`` option when given."""
    config = _read_config()
    keymap = {str(k): str(v) for k, v in config.get("keymap", {}).items()}
    if db:
        return Settings(to_url(db), "--db", keymap)
    env = os.environ.get("SPECIALOPS_DB")
    if env:
        return Settings(to_url(env), "SPECIALOPS_DB", keymap)
    if config.get("db"):
        return Settings(to_url(str(config["db"])), str(config_file()), keymap)
    default = user_data_path(APP_NAME) / "specialops.db"
    return Settings(to_url(str(default)), "default", keymap)
