"""The ``aws2bq.toml`` configuration: model, loading (file, environment, arguments), docs.

    from aws2bq.config import load_config
    config = load_config("aws2bq.toml")            # or load_config() on Lambda (environment)
    for name, stream in config.streams.items(): ...

See docs/config.md for every key and its environment variable.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws2bq.config.env import env_var_name
    from aws2bq.config.loader import ConfigValidationError, Problem, load_config, parse_config
    from aws2bq.config.model import (
        AwsSettings,
        BigQuerySettings,
        Config,
        DynamoDBStream,
        PartitionSpec,
        RdsStream,
        RdsTableSettings,
        RunSettings,
        Stream,
    )

# Imported on first use, not with the package: the stream models live with their sources
# (aws2bq/sources/<kind>/config.py) and import aws2bq.config.sections, so loading the model
# here would make importing a source's config import itself.
_MODEL = (
    "AwsSettings",
    "BigQuerySettings",
    "Config",
    "DynamoDBStream",
    "PartitionSpec",
    "RdsStream",
    "RdsTableSettings",
    "RunSettings",
    "Stream",
)
_LOADER = ("ConfigValidationError", "Problem", "load_config", "parse_config")
_LAZY = {
    "env_var_name": "aws2bq.config.env",
    **dict.fromkeys(_LOADER, "aws2bq.config.loader"),
    **dict.fromkeys(_MODEL, "aws2bq.config.model"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AwsSettings",
    "BigQuerySettings",
    "Config",
    "ConfigValidationError",
    "DynamoDBStream",
    "PartitionSpec",
    "Problem",
    "RdsStream",
    "RdsTableSettings",
    "RunSettings",
    "Stream",
    "env_var_name",
    "example_toml",
    "load_config",
    "parse_config",
]


def example_toml() -> str:
    """The commented example config that ``aws2bq init`` writes."""
    from importlib.resources import files

    return files("aws2bq.config").joinpath("example.toml").read_text(encoding="utf-8")
