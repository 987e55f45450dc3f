"""The hub's schema: every table group's migrations, applied in a fixed order.

Each group's ``Migrations`` set sits next to its queries. Later groups may refer to
earlier ones, never the other way round; a new group is appended to
:data:`MIGRATION_SETS` (``hub.store.alerts`` goes after these).
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from borderpass.sqlite import Database
from hub.store import access, alerts, registry, sync, trust

MIGRATION_SETS: tuple[sqlite_utils.Migrations, ...] = (
    trust.MIGRATIONS,
    registry.MIGRATIONS,
    access.MIGRATIONS,
    sync.MIGRATIONS,
    alerts.MIGRATIONS,
)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the database up to the current schema (idempotent)."""
    for migrations in MIGRATION_SETS:
        migrations.apply(db)


PAGE_SIZE = 16384
"""Pages of 16 KiB: the scan log's inserts and index upkeep run about a third faster
than with SQLite's default 4 KiB (measured with bench/sync.py's rows)."""


def open_database(path: Path, cache_mb: int | None = None) -> Database:
    """The hub's database, migrated, with its writer started."""
    return Database(path, migrate, page_size=PAGE_SIZE, cache_mb=cache_mb).open()
