"""The reference part of docs/config.md, generated from the model.

python -m aws2bq.config.docs            # rewrite the generated part of docs/config.md
python -m aws2bq.config.docs --check    # exit 1 if it is out of date (a test does this)
"""

from __future__ import annotations

import sys
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ByteSize, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from aws2bq.config.durations import format_duration
from aws2bq.config.env import env_var_name
from aws2bq.config.model import (
    AwsSettings,
    BigQuerySettings,
    Config,
    DynamoDBStream,
    GcsTransportSettings,
    PartitionSpec,
    RdsStream,
    RdsTableSettings,
    RunSettings,
)
from aws2bq.sources.files.config import FilesStream

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m aws2bq.config.docs) -->"
END = "<!-- END GENERATED REFERENCE -->"
DOC = Path(__file__).resolve().parents[3] / "docs" / "config.md"

#: (heading, TOML path of the table, model, fields to skip)
SECTIONS: list[tuple[str, tuple[str, ...], type[BaseModel], set[str]]] = [
    ("Top level", (), Config, {"aws", "bigquery", "run", "streams"}),
    ("`[aws]`", ("aws",), AwsSettings, set()),
    ("`[bigquery]`", ("bigquery",), BigQuerySettings, {"gcs"}),
    ("`[bigquery.gcs]`", ("bigquery", "gcs"), GcsTransportSettings, set()),
    ("`[run]`", ("run",), RunSettings, set()),
    ("`[streams.NAME]` — DynamoDB", ("streams", "NAME"), DynamoDBStream, {"name"}),
    (
        "`[streams.NAME.partition_by]` (DynamoDB streams and RDS tables)",
        ("streams", "NAME", "partition_by"),
        PartitionSpec,
        set(),
    ),
    ("`[streams.NAME]` — RDS / Aurora", ("streams", "NAME"), RdsStream, {"name", "tables"}),
    (
        '`[streams.NAME.tables."DB.TABLE"]` — one RDS table',
        ("streams", "NAME", "tables", "DB.TABLE"),
        RdsTableSettings,
        set(),
    ),
    ("`[streams.NAME]` — S3 files", ("streams", "NAME"), FilesStream, {"name"}),
]


def type_text(annotation: Any) -> str:
    """A short human name of a field type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        if args[0] is timedelta:
            return "duration"
        return type_text(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in args)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        return " \\| ".join(type_text(m) for m in members)
    if origin is list:
        return f"list of {type_text(args[0])}"
    if origin is dict:
        return f"table of {type_text(args[1])}"
    if annotation is SecretStr:
        return "string (secret)"
    if annotation is ByteSize:
        return 'size (bytes, or "1GiB", "500MB")'
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return {
        str: "string",
        int: "integer",
        bool: "boolean",
        Path: "path",
        timedelta: "duration",
    }.get(annotation, str(annotation))


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return "—"
    else:
        value = field.default
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, timedelta):
        return f'`"{format_duration(value)}"`'
    if isinstance(value, ByteSize):
        return f'`"{value.human_readable()}"`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list | dict) and not value:
        return "`[]`" if isinstance(value, list) else "`{}`"
    return f"`{value}`"


def render_reference() -> str:
    """The generated reference: one table per section, every field with its description."""
    out = [BEGIN, ""]
    for heading, path, model, skip in SECTIONS:
        out += [f"### {heading}", ""]
        if model.__doc__:
            out += [model.__doc__.strip().splitlines()[0].replace("``", "`"), ""]
        out += ["| key | type | default | environment variable | description |"]
        out += ["|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            if name in skip:
                continue
            description = (field.description or "").replace("|", "\\|")
            if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("secret"):
                description += " **Secret.**"
            env = env_var_name((*path, name))
            out.append(
                f"| `{name}` | {type_text(field.annotation)} | {default_text(field)} "
                f"| `{env}` | {description} |"
            )
        out.append("")
    out.append(END)
    return "\n".join(out)


def updated(document: str) -> str:
    """``document`` with its generated part replaced by the current reference."""
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[:start] + render_reference() + document[end:]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    current = DOC.read_text(encoding="utf-8")
    fresh = updated(current)
    if "--check" in args:
        if fresh != current:
            print(f"{DOC} is out of date: run python -m aws2bq.config.docs", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
