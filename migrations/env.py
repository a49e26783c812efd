"""Alembic environment: HRIA passes an open connection in ``config.attributes``."""

from alembic import context

import hria.domain.models  # noqa: F401  (registers the tables on the metadata)
from hria.extensions import db

config = context.config
target_metadata = db.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("HRIA applies migrations with `hria init`; it passes the connection itself.")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
