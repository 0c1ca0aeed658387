"""Where the database is and what the person has configured.

The database is found from ``--db``, else ``SPECIALOPS_DB``, else the
``db`` key of ``config.toml`` in the platform's config directory, else
``specialops.db`` in the platform's user data directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_path, user_data_path

from specialops.errors import UsageError

APP_NAME = "specialops"


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
        if self.db_url.startswith("sqlite:///"):
            return Path(self.db_url.removeprefix("sqlite:///"))
        return None

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


def to_url(location: str) -> str:
    """Turn a path or URL given by a person into a SQLAlchemy URL."""
    if "://" in location:
        if location.startswith("postgres://"):
            location = "postgresql://" + location.removeprefix("postgres://")
        return location
    return "sqlite:///" + str(Path(location).expanduser().resolve())


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
