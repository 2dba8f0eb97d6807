"""A CKAN profile maps the portal's own raw keys (options.keys); the harvest lists the keys most records carry
that feed no record field. A hand-built catalogue of four packages, replayed on loopback."""

from __future__ import annotations

import pytest

from harvester.adapters.ckan import CkanAdapter, map_package
from harvester.profiles import ProfileError, load_portal
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayServer, catalogue_from_packages
from tests.conftest import ckan_profile


def _package(number: int, *, extras: dict[str, str], top: dict[str, str] | None = None,
             resource: dict[str, str] | None = None) -> dict:
    return {
        "id": f"p{number}", "name": f"p{number}", "title": f"数据集 {number}", "notes": "说明", "license_id": "cc-by",
        "metadata_created": f"2025-01-0{number}T00:00:00", "metadata_modified": f"2025-02-0{number}T00:00:00",
        "organization": {"name": "stats", "title": "统计局"}, "groups": [], "tags": [],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "resources": [{"id": f"r{number}", "url": f"https://example.org/{number}.csv", "format": "CSV",
                       **(resource or {})}],
        **(top or {}),
    }


# 更新间隔 ("update interval") on all four; 统计口径 ("statistical basis") on three; 备注 ("remark") on one;
# a resource key 行数 ("rows") on the resources of three packages.
PACKAGES = [
    _package(1, extras={"更新间隔": "每月", "统计口径": "全市"}, resource={"行数": "10"}),
    _package(2, extras={"更新间隔": "每年", "统计口径": "全市"}, resource={"行数": "20"}),
    _package(3, extras={"更新间隔": "每月", "统计口径": "市区"}, resource={"行数": "30"}, top={"备注": "试点"}),
    _package(4, extras={"更新间隔": "每季度", "统计口径": ""}),  # an empty value is not a key present
]


def _harvest(store, **profile_extra):
    with ReplayServer(catalogue_from_packages(PACKAGES)) as server:
        profile = ckan_profile(server.base, "keys-city", **profile_extra)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete" and result.datasets == 4
    return result


def test_a_key_mapped_by_the_profile_fills_the_record_field(store):
    result = _harvest(store, options={"keys": {"frequency": ["更新间隔"]}})
    assert result.mapping["frequency_raw"] == 1.0
    assert result.mapping["frequency"] == 1.0  # 每月, 每年, 每季度 all read as periods
    assert result.unmapped_keys["keys"] == [
        {"section": "extras", "key": "统计口径", "share": 0.75},
        {"section": "resource", "key": "行数", "share": 0.75},
    ]
    stored = store.current_harvest("keys-city").info["unmapped_keys"]
    assert stored["records"] == 4 and stored["min_share"] == 0.5 and stored["min_share_source"] == "odq default"
    assert {k["key"] for k in stored["keys"]} == {"统计口径", "行数"}  # 备注, on one of four, is not listed


def test_without_the_option_the_silent_zero_shows_as_an_unmapped_key(store):
    result = _harvest(store)
    assert result.mapping["frequency_raw"] == 0.0
    assert {"section": "extras", "key": "更新间隔", "share": 1.0} in result.unmapped_keys["keys"]


def test_profile_keys_come_before_the_built_in_ones():
    package = _package(1, extras={"更新间隔": "每月", "update_frequency": "每年", "来源部门": "交通委",
                                  "数据更新时间": "2024-05-06"})
    built_in = map_package(package, "c", "https://example.org")
    assert built_in.frequency_raw == "每年" and built_in.department == "统计局"
    assert built_in.data_modified == "2024-05-06T00:00:00"  # a declared data date before the files' dates
    keyed = map_package(package, "c", "https://example.org",
                        {"frequency": ("更新间隔",), "department": ("来源部门",), "issued": ("数据更新时间",)})
    assert keyed.frequency_raw == "每月" and keyed.frequency == "P1M"
    assert keyed.department == "交通委"
    assert ("department", "交通委") in {(c.dimension, c.label) for c in keyed.categories}
    assert keyed.issued == "2024-05-06T00:00:00"
    assert keyed.modified == "2025-02-01T00:00:00"  # nothing declared: CKAN's metadata_modified


def test_the_bookmark_stays_metadata_modified_when_a_declared_date_is_the_record_date():
    profile = {"id": "c", "software": "ckan", "url": "https://example.org",
               "options": {"keys": {"modified": "数据更新时间"}}}
    adapter = CkanAdapter(profile, http=None)
    record = adapter.map_native(_package(3, extras={"数据更新时间": "2030-01-01"}))
    assert record.modified == "2030-01-01T00:00:00"
    assert adapter.bookmark()["modified_since"] == "2025-02-03T00:00:00"


def _profile_file(tmp_path, options: str):
    path = tmp_path / "keys-city.yaml"
    path.write_text("id: keys-city\nname: 测试市\nlevel: city\nregion: test\nsoftware: ckan\n"
                    f"url: https://example.org\noptions:\n{options}", encoding="utf-8")
    return path


def test_a_misspelled_field_fails_profile_loading_naming_file_and_key(tmp_path):
    path = _profile_file(tmp_path, "  keys:\n    frequncy: [更新间隔]\n")
    with pytest.raises(ProfileError) as caught:
        load_portal(path)
    message = str(caught.value)
    assert str(path) in message and "key 'options.keys.frequncy'" in message
    assert "frequency" in message  # the allowed names are listed


@pytest.mark.parametrize("value", ["3", "[]", "[更新间隔, '']"])
def test_a_key_list_that_is_not_texts_fails_naming_the_field(tmp_path, value):
    path = _profile_file(tmp_path, f"  keys:\n    frequency: {value}\n")
    with pytest.raises(ProfileError, match=r"key 'options\.keys\.frequency'"):
        load_portal(path)


def test_one_key_given_as_a_text_is_accepted(tmp_path):
    profile = load_portal(_profile_file(tmp_path, "  keys:\n    frequency: 更新间隔\n"))
    assert CkanAdapter.parse_options(profile).keys == {"frequency": ("更新间隔",)}
