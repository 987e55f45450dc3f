"""The hub's fixtures (defined in ``hubkit.py``, so that test modules can import its
helpers by a name no other test directory uses)."""

from hubkit import client, hub

__all__ = ["client", "hub"]
