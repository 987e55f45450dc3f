"""The hub's schema: every table group's migrations, applied in a fixed order.

Each group's ``Migrations`` set sits next to its queries. Later groups may refer to
earlier ones, never the other way round; a new group is appended to
:data:`MIGRATION_SETS` (``hub.store.alerts`` goes after these).
"""

from __future__ import annotations

import sqlite_utils

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
