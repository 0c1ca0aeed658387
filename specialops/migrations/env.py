"""Alembic environment: runs on the connection the store hands over."""

from alembic import context
from sqlalchemy import create_engine

from specialops.areas import load_models
from specialops.models.base import metadata
from specialops.store.migrate import include_name

load_models()
connection = context.config.attributes.get("connection")


def _run(conn) -> None:
    context.configure(
        connection=conn,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # developers generating a revision: alembic -x url=sqlite:///x.db revision --autogenerate
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///migrations-dev.db")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
