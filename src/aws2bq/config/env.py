"""Settings from environment variables (the Lambda way), layered over the TOML file.

Naming scheme (documented in docs/config.md):

- ``AWS2BQ_`` + the key path in upper case, levels joined by ``__`` (two underscores):
  ``AWS2BQ_WAREHOUSE``, ``AWS2BQ_AWS__REGION``, ``AWS2BQ_RUN__WAIT``,
  ``AWS2BQ_STREAMS__ORDERS__MODE``,
  ``AWS2BQ_STREAMS__SHOP__TABLES__SHOP_ORDERS__KEYS``.
- A name (a stream, an RDS table key) is matched against the names in the file with every
  character other than a letter or digit read as ``_`` and case ignored, so ``SHOP_ORDERS``
  finds ``"shop.orders"`` and ``SHOP_DB`` finds ``shop-db``. A name not in the file is added
  in lower case (``AWS2BQ_STREAMS__EVENTS__TABLE=Events`` defines stream ``events``).
- Values are text, converted by the model (``true``, ``15m``, ``3``); a value starting with
  ``[`` or ``{`` is JSON (``AWS2BQ_STREAMS__ORDERS__KEYS='["pk","sk"]'``, or a whole
  stream as a JSON object). An empty value counts as unset.
- ``AWS2BQ_CONFIG_TOML`` holds a whole config file's text, ``AWS2BQ_CONFIG`` a config file
  path; they replace the file, not single settings.

Only variables whose first level is a top-level setting are read, so other ``AWS2BQ_*``
variables (test settings, for instance) are never mistaken for configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws2bq.config.model import Config, env_segment

PREFIX = "AWS2BQ_"
SEPARATOR = "__"
CONFIG_PATH_VAR = "AWS2BQ_CONFIG"
CONFIG_TEXT_VAR = "AWS2BQ_CONFIG_TOML"
_TOP_LEVEL = {env_segment(name): name for name in Config.model_fields}

#: Where a value came from, per key path: "env NAME" or "argument NAME".
Origins = dict[tuple[str, ...], str]


def env_var_name(path: tuple[str, ...]) -> str:
    """The environment variable that sets ``path``.

    Examples:
        >>> env_var_name(("streams", "shop-db", "tables", "shop.orders", "mode"))
        'AWS2BQ_STREAMS__SHOP_DB__TABLES__SHOP_ORDERS__MODE'
    """
    return PREFIX + SEPARATOR.join(env_segment(p) for p in path)


def env_overrides(environ: Mapping[str, str]) -> list[tuple[str, tuple[str, ...], str]]:
    """``(variable, key path, text)`` for every configuration variable in ``environ``.

    The key path segments are still in environment form (upper case); ``resolve_path``
    matches them to the document's keys, and ``parse_env_value`` reads JSON values.
    """
    found = []
    for var, text in sorted(environ.items()):
        if not var.startswith(PREFIX) or var in (CONFIG_PATH_VAR, CONFIG_TEXT_VAR) or not text:
            continue
        segments = tuple(var[len(PREFIX) :].split(SEPARATOR))
        if segments[0] not in _TOP_LEVEL or any(not s for s in segments):
            continue
        found.append((var, segments, text))
    # Shallow paths first, so AWS2BQ_STREAMS__X (a whole JSON stream) is refined by
    # AWS2BQ_STREAMS__X__MODE rather than the other way round.
    found.sort(key=lambda item: len(item[1]))
    return found


def looks_like_json(text: str) -> bool:
    """Whether a variable's text is read as JSON (unless the setting is a string)."""
    return text.lstrip()[:1] in ("[", "{")


def parse_env_value(var: str, text: str) -> Any:
    """The value of one variable: JSON for ``[``/``{``, otherwise the text itself."""
    if looks_like_json(text):
        try:
            return json.loads(text)
        except ValueError as exc:
            from aws2bq.errors import ConfigError

            raise ConfigError(
                f"environment variable {var} starts like JSON but is not valid JSON: {exc}",
                hint='write lists as JSON, e.g. ["pk", "sk"]',
            ) from None
    return text


def set_path(
    data: dict[str, Any], segments: tuple[str, ...], value: Any, *, fold: bool
) -> tuple[str, ...]:
    """Set ``value`` at ``segments`` in ``data`` (creating tables), returning the real path.

    With ``fold`` the segments are environment-form names and are matched to existing keys
    by ``env_segment``; new keys are lower-cased. A dict value is merged into an existing
    table; anything else replaces.
    """
    node = data
    real: list[str] = []
    for n, segment in enumerate(segments):
        key = _match(node, segment) if fold else segment
        real.append(key)
        last = n == len(segments) - 1
        if last:
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                node[key] = _deep_merge(node[key], value)
            else:
                node[key] = value
        else:
            child = node.get(key)
            if isinstance(child, list) and key == "streams":
                # [[streams]] in the file: address entries by their name.
                node[key] = child = {
                    str(item.get("name")): item for item in child if isinstance(item, dict)
                }
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
    return tuple(real)


def resolve_path(data: dict[str, Any], segments: tuple[str, ...]) -> tuple[str, ...]:
    """The document key path environment-form ``segments`` name (see ``set_path``)."""
    node: Any = data
    real: list[str] = []
    for segment in segments:
        if isinstance(node, list):  # [[streams]]: entries by name
            node = {str(i.get("name")): i for i in node if isinstance(i, dict)}
        key = _match(node, segment) if isinstance(node, dict) else segment.lower()
        real.append(key)
        node = node.get(key) if isinstance(node, dict) else None
    return tuple(real)


def _match(node: dict[str, Any], segment: str) -> str:
    if segment in node:
        return segment
    for key in node:
        if env_segment(key) == segment:
            return key
    return segment.lower()


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
