"""The DuckDB warehouse's settings come from its URL, checked once (a typo is a ConfigError)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws2bq.errors import ConfigError
from aws2bq.warehouses import connect, parse_url
from aws2bq.warehouses.duckdb.configuration import DEFAULT_MEMORY_LIMIT, DuckDBConfig


def test_url_parameters_become_the_config(tmp_path: Path) -> None:
    url = (
        f"duckdb:///{tmp_path}/w.duckdb?memory_limit=1GB&threads=2&scratch={tmp_path}"
        "&arrow=0&native=0"
    )
    got = DuckDBConfig.from_url(parse_url(url))
    assert got.path == f"{tmp_path}/w.duckdb"
    assert (got.memory_limit, got.threads, got.scratch, got.arrow, got.native) == (
        "1GB",
        "2",
        str(tmp_path),
        False,
        False,
    )
    plain = DuckDBConfig.from_url(parse_url(f"duckdb:///{tmp_path}/w.duckdb"))
    assert (plain.memory_limit, plain.threads, plain.scratch, plain.arrow, plain.native) == (
        DEFAULT_MEMORY_LIMIT, None, None, True, True,
    )  # fmt: skip


@pytest.mark.parametrize("value", ["banana", "", "2"])
def test_a_switch_neither_on_nor_off_is_a_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=f"native={value!r}") as caught:
        connect(f"duckdb:///{tmp_path}/w.duckdb?arrow=ON&native={value}")
    assert "native=0" in str(caught.value.hint)
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(("value", "on"), [("No", False), ("OFF", False), ("yes", True)])
def test_switches_read_any_case(tmp_path: Path, value: str, on: bool) -> None:
    url = f"duckdb:///{tmp_path}/w.duckdb?native={value}&arrow={value}"
    got = DuckDBConfig.from_url(parse_url(url))
    assert (got.native, got.arrow) == (on, on)


def test_an_unknown_parameter_is_a_config_error_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="memory_limt") as caught:
        connect(f"duckdb:///{tmp_path}/w.duckdb?memory_limt=1GB")
    assert "memory_limit" in str(caught.value.hint)
    assert not (tmp_path / "w.duckdb").exists()


def test_the_warehouse_runs_with_its_config(tmp_path: Path) -> None:
    wh = connect(f"duckdb:///{tmp_path}/w.duckdb?threads=1&arrow=off&native=0&scratch={tmp_path}")
    try:
        assert wh.threads == 1
        assert wh.arrow_staging is False  # type: ignore[attr-defined]
        assert wh.native_scan is False  # type: ignore[attr-defined]
        assert wh.scratch.parent == tmp_path  # type: ignore[attr-defined]
    finally:
        wh.close()
