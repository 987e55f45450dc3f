"""Shared fixtures. Factories live in ``tests/factories.py`` (importable as
``factories`` from any test: pytest puts this directory on ``sys.path`` because this
conftest sits in it)."""

from __future__ import annotations

import pytest
from factories import SITES, Issuer, make_issuer

from protocol.refs import ReferenceData
from protocol.sites import SiteMap


@pytest.fixture
def issuer() -> Issuer:
    """A root key, an issuer key valid around TODAY for dongxing and fangchenggang,
    and the root-signed trust list that lists it."""
    return make_issuer()


@pytest.fixture
def refs() -> ReferenceData:
    """Empty revocations and used-up permits."""
    return ReferenceData()


@pytest.fixture
def site_map() -> SiteMap:
    return SITES
