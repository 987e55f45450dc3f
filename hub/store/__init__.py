"""The hub's SQLite store: the only package that writes SQL.

Each table group keeps its ``sqlite_utils.Migrations`` set next to its queries
(``registry``, ``access``, ``trust``; ``sync`` and ``alerts`` join later);
:mod:`hub.store.schema` applies them in a fixed order. Reads take a
``sqlite3.Connection``; writes take a :class:`borderpass.sqlite.Transaction` and run
inside the single writer.
"""
