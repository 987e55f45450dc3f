"""The sync protocol between edges and the hub, without I/O.

``messages`` (frozen dataclasses), ``frames`` (bytes <-> messages, with version and
size limits), ``auth`` (request and response signatures, the enrolment MAC),
``datasets`` (the reference data the hub sends and how an edge checks it),
``ingest`` (the hub's rules for a pushed log range) and ``session`` (the edge's push
and pull loops as a state machine with its transitions in one table). The transport
(aiohttp) lives in ``edge/sync.py`` and ``hub/sync_server.py``.
"""
