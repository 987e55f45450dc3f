"""The demo's population: seeded, every planted part cast where it can play it, and
every permit one the hub's issuing rules accept."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from borderpass.demo.population import (
    DAY1,
    PARKS,
    SLOW_PULL_PARK,
    Profile,
    build_population,
    incident_counts,
)
from hub import issuance, registration
from protocol.sites import default_site_map

SITES = default_site_map()


def test_the_same_seed_gives_the_same_population_and_another_seed_another() -> None:
    first, again = build_population(7, 300, 12, 3), build_population(7, 300, 12, 3)
    assert first == again
    other = build_population(8, 300, 12, 3)
    assert [w.profile for w in other.workers] != [w.profile for w in first.workers]


def test_every_park_has_an_employer_and_ids_are_unique() -> None:
    population = build_population(1, 200, 6, 2)
    assert {e.park for e in population.employers} == set(PARKS)
    ids = [w.worker_id for w in population.workers]
    assert len(set(ids)) == len(ids) == 200


@pytest.mark.parametrize(("workers", "days"), [(40, 2), (2000, 3), (500, 7)])
def test_each_part_is_cast_as_often_as_planned_and_where_it_can_play(
    workers: int, days: int
) -> None:
    population = build_population(3, workers, 40 if workers > 100 else 6, days)
    cast = Counter(w.profile for w in population.workers)
    for profile, count in incident_counts(workers).items():
        assert cast[profile] == count, profile
    assert cast[Profile.COMMUTER] > cast[Profile.STAYER] > 0
    for w in population.of(Profile.HENGJIANG) + population.of(Profile.WANDERER):
        assert not w.park.beyond_hengjiang
    for w in population.of(Profile.MAOLING) + population.of(Profile.CLONED):
        assert w.park.beyond_hengjiang
    assert all(w.park.site_id == SLOW_PULL_PARK for w in population.of(Profile.REVOKED))
    assert all(w.home_gate == "beilun-bridge-2" for w in population.of(Profile.SWITCH_OUT))


def test_end_dates_fit_each_part() -> None:
    days = 3
    population = build_population(5, 400, 10, days)
    last = DAY1 + timedelta(days=days - 1)
    for w in population.workers:
        if w.profile is Profile.LEAVER:
            assert DAY1 <= w.valid_until <= last
        elif w.profile is Profile.EXIT_DUE:
            assert last < w.valid_until <= last + timedelta(days=6)
        elif w.profile in (Profile.OVERSTAYER, Profile.LATE_LEAVER):
            assert w.valid_until == last - timedelta(days=1)
        else:
            assert w.valid_until >= last + timedelta(days=30)


def test_commuters_have_multi_exit_permits_and_stayers_single_exit() -> None:
    population = build_population(2, 100, 6, 2)
    for w in population.workers:
        commuting = w.profile in (Profile.COMMUTER, Profile.REVOKED, Profile.CLONED)
        if commuting:
            assert w.permit_body()["single_exit"] is False
        if w.profile in (Profile.STAYER, Profile.OVERSTAYER, Profile.REENTRANT):
            assert w.permit_body()["single_exit"] is True


def test_every_permit_passes_the_hubs_issuing_rules() -> None:
    population = build_population(4, 300, 12, 3)
    employers = {e.employer_id: registration.parse_employer(e.body(), SITES)
                 for e in population.employers}  # fmt: skip
    for w in population.workers:
        request = issuance.parse_permit_request(w.permit_body())
        facts = issuance.RegistryFacts(employers[w.employer.employer_id], None, None,
                                       False, False)  # fmt: skip
        zones = issuance.check_permit_request(request, facts, SITES, DAY1)
        assert zones == ("dongxing", w.park.zone)


def test_too_small_a_population_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        build_population(1, 39, 6, 2)
    with pytest.raises(ValueError, match="at least"):
        build_population(1, 100, 5, 2)
    with pytest.raises(ValueError, match="at least"):
        build_population(1, 100, 6, 1)
