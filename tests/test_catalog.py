"""The catalog: provider facts as dated data, and lifecycle stages judged on an injected day."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from strata.catalog import Stage, load_catalog

CAT = load_catalog()


def test_every_region_has_a_country_and_zones() -> None:
    for kind in ("aws", "gcp"):
        assert len(CAT.regions[kind]) >= 35
        for region in CAT.regions[kind].values():
            assert re.fullmatch(r"[A-Z]{2}", region.country), region
            assert 1 <= region.zones <= 6


@pytest.mark.parametrize(
    ("kind", "region", "country", "jurisdiction"),
    [
        ("aws", "eu-central-1", "DE", "eu"),
        ("aws", "eu-west-2", "GB", "uk"),
        ("aws", "eu-central-2", "CH", "ch"),
        ("aws", "us-east-1", "US", "us"),
        ("aws", "cn-north-1", "CN", "cn"),
        ("gcp", "europe-west3", "DE", "eu"),
        ("gcp", "europe-north1", "FI", "eu"),
        ("gcp", "asia-east1", "TW", "tw"),
        ("gcp", "northamerica-northeast1", "CA", "ca"),
    ],
)
def test_regions_resolve_to_countries_and_jurisdictions(
    kind: str, region: str, country: str, jurisdiction: str
) -> None:
    r = CAT.region(kind, region)
    assert r is not None and r.country == country
    assert jurisdiction in CAT.jurisdictions_of(country)


def test_eu_is_eu_plus_eea() -> None:
    eu = CAT.jurisdictions["eu"].countries
    assert len(eu) == 30
    assert {"NO", "IS", "LI", "DE", "IE"} <= eu
    assert not {"GB", "CH", "US"} & eu
    for key in ("us", "uk", "ch", "ca", "jp", "sg", "au", "in", "cn"):
        assert key in CAT.jurisdictions


def test_versions_reach_back_to_1_24_with_ordered_dates() -> None:
    for kind in ("aws", "gcp"):
        versions = CAT.versions[kind]
        assert "1.24" in versions and "1.35" in versions
        for v in versions.values():
            assert v.released < v.end_of_standard <= v.end_of_extended


@pytest.mark.parametrize(
    ("kind", "version", "end"),
    [
        ("aws", "1.32", dt.date(2026, 3, 23)),
        ("aws", "1.33", dt.date(2026, 7, 29)),
        ("aws", "1.34", dt.date(2026, 12, 2)),
        ("aws", "1.35", dt.date(2027, 3, 27)),
        ("gcp", "1.33", dt.date(2026, 6, 30)),
        ("gcp", "1.34", dt.date(2026, 8, 30)),
        ("gcp", "1.35", dt.date(2027, 2, 28)),
    ],
)
def test_end_of_standard_support_matches_provider_calendars(kind: str, version: str, end: dt.date) -> None:
    v = CAT.version(kind, version)
    assert v is not None and v.end_of_standard == end


def test_stage_is_judged_on_the_day_passed_in() -> None:
    v = CAT.version("aws", "1.33")
    assert v is not None
    assert v.stage(dt.date(2025, 1, 1)) is Stage.PREVIEW
    assert v.stage(dt.date(2026, 7, 29)) is Stage.SUPPORTED
    assert v.stage(dt.date(2026, 7, 30)) is Stage.DEPRECATED
    assert v.stage(dt.date(2027, 7, 30)) is Stage.EXPIRED


def test_machine_types_cover_general_compute_memory_and_gpu() -> None:
    for kind in ("aws", "gcp"):
        kinds = {t.kind for t in CAT.machine_types[kind]}
        assert kinds == {"general", "compute", "memory", "gpu"}
        for t in CAT.machine_types[kind]:
            assert t.usd_per_hour > 0 and t.vcpus > 0 and t.memory_gib > 0
            assert (t.gpus > 0) == (t.kind == "gpu") == (t.accelerator is not None)


def test_data_classes() -> None:
    assert set(CAT.data_classes) >= {"public", "internal", "confidential", "pci", "personal-eu"}
    assert CAT.data_classes["pci"].requires_isolation == "dedicated"
    assert CAT.data_classes["personal-eu"].residency == frozenset({"eu"})
