"""Loading the config: file or environment, then environment variables, then arguments.

One resolution order for every setting: an **argument** (``overrides``, e.g. a CLI flag) wins
over an **environment variable** (see ``aws2bq.config.env``), which wins over the **TOML
file**, which wins over the model's default.

The file is, in order: the ``path`` argument; the text in ``AWS2BQ_CONFIG_TOML``; the path in
``AWS2BQ_CONFIG``; ``./aws2bq.toml`` if it exists; otherwise none (environment only).

A config that does not validate raises ``ConfigValidationError`` (a ``ConfigError``, exit code
2) listing every problem with its key path and where it was written: ``aws2bq.toml:14``, or
the environment variable or argument that set it. Secret values are never echoed.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from aws2bq.config.env import (
    CONFIG_PATH_VAR,
    CONFIG_TEXT_VAR,
    env_overrides,
    looks_like_json,
    parse_env_value,
    resolve_path,
    set_path,
)
from aws2bq.config.model import STREAM_KINDS, Config, _stream_kind
from aws2bq.config.positions import KeyPath, key_lines, line_of
from aws2bq.errors import ConfigError

DEFAULT_FILE = "aws2bq.toml"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config."""

    #: The key path as written in TOML, e.g. ``streams.orders.mode``.
    key: str
    message: str
    #: Where the value was set: ``aws2bq.toml:14``, ``environment variable X``, ``argument X``.
    where: str
    #: The file line, when the value came from the file.
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.key}: {self.message}"


class ConfigValidationError(ConfigError):
    """The config does not validate; ``problems`` lists each problem with its key and line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(
            f"invalid configuration ({source}): {count}\n{lines}",
            hint="see docs/config.md for every key, its type and its environment variable",
        )
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class _Document:
    source: str
    text: str
    path: Path | None


def load_config(
    path: str | Path | None = None,
    *,
    overrides: Mapping[str | tuple[str, ...], Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Load and validate the configuration (see the module docstring for the order).

    Args:
        path: the TOML file; ``None`` to look in the environment, then ``./aws2bq.toml``.
        overrides: settings given as arguments, by dotted key (``"warehouse"``,
            ``"streams.orders.mode"``) or key tuple; ``None`` values are ignored.
        environ: the environment (default ``os.environ``).

    Raises:
        ConfigError: the file is missing or not TOML, or the config does not validate
            (``ConfigValidationError``).
    """
    env = os.environ if environ is None else environ
    document = _find_document(path, env)
    return parse_config(document.text, source=document.source, overrides=overrides, environ=env)


def parse_config(
    text: str,
    *,
    source: str = DEFAULT_FILE,
    overrides: Mapping[str | tuple[str, ...], Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Validate TOML ``text`` (named ``source`` in messages) with environment and arguments.

    ``environ`` defaults to an empty environment here, so parsing a text is deterministic.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid TOML: {exc}", hint="fix the syntax at the line shown"
        ) from None
    data = copy.deepcopy(raw)
    origins: dict[tuple[str, ...], str] = {}
    for var, segments, text in env_overrides(environ or {}):
        real = resolve_path(data, segments)
        # A string setting keeps its text even when it looks like JSON (credentials_json).
        value: Any = text
        if looks_like_json(text) and _type_at(real, data) not in (str, SecretStr, Path):
            value = parse_env_value(var, text)
        origins[set_path(data, real, value, fold=False)] = f"environment variable {var}"
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        segments = tuple(key.split(".")) if isinstance(key, str) else tuple(key)
        origins[set_path(data, segments, value, fold=False)] = f"argument {'.'.join(segments)}"
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = key_lines(text)
        problems = [_problem(error, data, raw, lines, origins, source) for error in exc.errors()]
        raise ConfigValidationError(source, _unique(problems)) from None


def _find_document(path: str | Path | None, env: Mapping[str, str]) -> _Document:
    if path is None and env.get(CONFIG_TEXT_VAR):
        return _Document(f"${CONFIG_TEXT_VAR}", env[CONFIG_TEXT_VAR], None)
    if path is None and env.get(CONFIG_PATH_VAR):
        path = env[CONFIG_PATH_VAR]
    if path is None:
        default = Path(DEFAULT_FILE)
        if not default.is_file():
            return _Document("environment", "", None)
        path = default
    file = Path(path)
    try:
        return _Document(str(file), file.read_text(encoding="utf-8"), file)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {str(file)!r} does not exist",
            hint="create one with `aws2bq init`, or pass -c PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {str(file)!r}: {exc}") from None


# -- error mapping ----------------------------------------------------------------------------
def _problem(
    error: Any,
    data: dict[str, Any],
    raw: dict[str, Any],
    lines: dict[KeyPath, int],
    origins: dict[tuple[str, ...], str],
    source: str,
) -> Problem:
    path = _data_path(error["loc"], data)
    key = _display(path) or "(top level)"
    message = _message(error, path, data)
    for n in range(len(path), 0, -1):
        origin = origins.get(tuple(str(p) for p in path[:n]))
        if origin is not None:
            return Problem(key, message, origin)
    found = line_of(lines, _document_path(path, raw))
    if found is None:
        return Problem(key, message, source)
    return Problem(key, message, f"{source}:{found[0]}", found[0])


def _data_path(loc: tuple[str | int, ...], data: Any) -> KeyPath:
    """Pydantic's ``loc`` without union tags and ``[key]`` markers: a path into ``data``."""
    path: list[str | int] = []
    node = data
    for segment in loc:
        if segment == "[key]":
            continue
        if isinstance(node, dict):
            if segment in node:
                path.append(segment)
                node = node[segment]
                continue
            if segment in STREAM_KINDS and _stream_kind(node) == segment:
                continue  # the discriminated union's tag
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            path.append(segment)
            node = node[segment]
            continue
        elif isinstance(node, list) and isinstance(segment, str):
            # [[streams]]: the model keys entries by name.
            match = [i for i in node if isinstance(i, dict) and i.get("name") == segment]
            if match:
                path.append(segment)
                node = match[0]
                continue
        path.append(segment)
        node = None
    return tuple(path)


def _document_path(path: KeyPath, raw: Any) -> KeyPath:
    """``path`` as written in the file: a stream name becomes its [[streams]] index."""
    out: list[str | int] = []
    node = raw
    for segment in path:
        if isinstance(node, list) and isinstance(segment, str):
            index = next(
                (
                    i
                    for i, item in enumerate(node)
                    if isinstance(item, dict) and item.get("name") == segment
                ),
                None,
            )
            if index is None:
                break
            out.append(index)
            node = node[index]
            continue
        out.append(segment)
        if isinstance(node, dict):
            node = node.get(str(segment))
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node = node[segment]
        else:
            node = None
    return tuple(out)


def _display(path: KeyPath) -> str:
    out = ""
    for segment in path:
        if isinstance(segment, int):
            out += f"[{segment}]"
        else:
            part = segment if _BARE_KEY.fullmatch(segment) else f'"{segment}"'
            out += f".{part}" if out else part
    return out


def _message(error: Any, path: KeyPath, data: dict[str, Any]) -> str:
    kind = error["type"]
    msg = str(error["msg"])
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        fields = _fields_at(path[:-1], data)
        close = difflib.get_close_matches(str(path[-1]), fields or [], n=1)
        return "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    value = error.get("input")
    secret = any(isinstance(s, str) and s in _secret_fields() for s in path)
    if (
        kind != "value_error"
        and not secret
        and isinstance(value, str | int | float | bool)
        and len(repr(value)) <= 80
    ):
        msg += f" (got {value!r})"
    return msg


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for problem in problems:
        if (problem.key, problem.message) not in seen:
            seen.add((problem.key, problem.message))
            out.append(problem)
    return out


def _secret_fields() -> set[str]:
    names: set[str] = set()
    for model in _models(Config):
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra
            if field.annotation in (SecretStr, SecretStr | None) or (
                isinstance(extra, dict) and extra.get("secret")
            ):
                names.add(name)
    return names


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` (root first)."""
    found: list[type[BaseModel]] = []
    pending: list[Any] = [root]
    while pending:
        tp = pending.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp not in found:
                found.append(tp)
                pending.extend(f.annotation for f in tp.model_fields.values())
        else:
            pending.extend(typing.get_args(tp))
    return found


def _fields_at(path: KeyPath, data: Any) -> list[str] | None:
    """The field names of the model found at ``path`` (for "did you mean")."""
    tp = _type_at(path, data)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return None


def _type_at(path: KeyPath, data: Any) -> Any:
    """The (concrete) type the model expects at ``path``, or ``None`` if unknown."""
    tp: Any = Config
    node = data
    for segment in path:
        tp = _concrete(tp, node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(segment))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) in (dict, list):
            tp = typing.get_args(tp)[-1]
        else:
            return None
        if isinstance(node, dict):
            node = node.get(str(segment))
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node = node[segment]
        else:
            node = None
    return _concrete(tp, node)


def _concrete(tp: Any, node: Any) -> Any:
    """Unwrap Annotated and Optional; pick a tagged union's member by the data's kind."""
    for _ in range(10):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
            kind = _stream_kind(node)
            for member in members:
                model = _concrete(member, node)
                field = getattr(model, "model_fields", {}).get("kind")
                if field is not None and field.default == kind:
                    return model
            return None
        else:
            return tp
    return tp
