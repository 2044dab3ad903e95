"""The ``files`` stream of aws2bq.toml: kind inference, defaults, refused settings."""

from __future__ import annotations

import pytest

from aws2bq.config.loader import parse_config
from aws2bq.errors import ConfigError
from aws2bq.sources.files.config import FilesStream
from aws2bq.sources.files.run import request_of


def test_kind_is_inferred_from_source_and_defaults_apply() -> None:
    config = parse_config('[streams.alb-logs]\nsource = "s3://b/alb/"\nformat = "csv"\n')
    stream = config.streams["alb-logs"]
    assert isinstance(stream, FilesStream)
    assert stream.table() == "alb_logs" and stream.ledger_stream() == "files:alb_logs"
    request = request_of(config, stream)
    assert (request.mode, request.on_changed, request.stream_id) == (
        "append",
        "error",
        "files:alb_logs",
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('format = "xml"', "format"),
        ('format = "csv"\ndestination = "_aws2bq_x"', "destination"),
        ('format = "csv"\nkeys = ["id", "id"]', "keys"),
        ('format = "csv"\nmode = "history"', "mode"),
        ('format = "csv"\nbogus = 1', "bogus"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(f'[streams.s]\nsource = "s3://b/p/"\n{extra}\n')


def test_the_init_example_has_a_files_stream_with_every_key() -> None:
    from pathlib import Path

    import aws2bq.config

    text = (Path(aws2bq.config.__file__).parent / "example.toml").read_text()
    stream = parse_config(text).streams["app-logs"]
    assert isinstance(stream, FilesStream) and stream.table() == "app_logs"
    for name in FilesStream.model_fields:
        if name != "name":
            assert f"{name} =" in text, name


def test_merge_without_keys_is_refused_naming_the_stream_and_keys() -> None:
    with pytest.raises(ConfigError, match=r"app-logs.*mode = \"merge\" needs `keys`"):
        parse_config('[streams.app-logs]\nsource = "s3://b/p/"\nformat = "csv"\nmode = "merge"\n')
