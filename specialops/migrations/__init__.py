"""Alembic migrations: the ordered history of the schema."""
