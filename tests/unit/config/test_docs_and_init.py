"""docs/config.md matches the model; `aws2bq init` writes an example that loads."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from aws2bq.cli import app
from aws2bq.config import parse_config
from aws2bq.config.docs import DOC, SECTIONS, render_reference, updated
from aws2bq.config.loader import _models
from aws2bq.config.model import Config, DynamoDBStream, RdsStream


def test_every_field_of_every_model_has_a_description() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in _models(Config)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert missing == []


def test_every_model_is_in_the_reference() -> None:
    documented = {model for _, _, model, _ in SECTIONS}
    assert set(_models(Config)) <= documented


def test_docs_config_md_is_up_to_date() -> None:
    current = DOC.read_text(encoding="utf-8")
    assert updated(current) == current, "run: python -m aws2bq.config.docs"


def test_the_reference_lists_every_key_with_its_env_var() -> None:
    text = render_reference()
    assert "| `table` |" in text and "`AWS2BQ_STREAMS__NAME__TABLE`" in text
    assert "`AWS2BQ_STREAMS__NAME__TABLES__DB_TABLE__KEYS`" in text
    assert "**Secret.**" in text  # credentials_json


def test_init_writes_an_example_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "aws2bq.toml"
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    config = parse_config(target.read_text(), source=str(target))
    assert isinstance(config.streams["orders"], DynamoDBStream)
    assert isinstance(config.streams["shop"], RdsStream)
    assert config.streams["orders"].cadence == "incremental"


def test_the_example_mentions_every_stream_key() -> None:
    text = (Path(__file__).resolve().parents[3] / "src/aws2bq/config/example.toml").read_text()
    for model in (DynamoDBStream, RdsStream):
        for name in model.model_fields:
            if name not in ("name",):
                assert f"{name} =" in text or f".{name}" in text, f"{model.__name__}.{name}"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "aws2bq.toml"
    target.write_text("# mine\n")
    refused = CliRunner().invoke(app, ["init", str(target)])
    assert refused.exit_code != 0
    assert target.read_text() == "# mine\n"
    forced = CliRunner().invoke(app, ["init", str(target), "--force"])
    assert forced.exit_code == 0
    assert "[streams.orders]" in target.read_text()
