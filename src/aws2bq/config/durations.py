"""Durations in the config: ``"15m"``, ``"1h30m"``, ``"7d"``, seconds, or ISO 8601 (``PT1H``).

Examples:
    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    >>> format_duration(parse_duration("90m"))
    '1h30m'
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, TypeAdapter

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
_WHOLE = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+")
_ISO = TypeAdapter(timedelta)


def parse_duration(value: Any) -> timedelta:
    """A ``timedelta`` from a duration string, a number of seconds or a ``timedelta``.

    Raises:
        ValueError: the value is not a positive duration (the message shows valid forms).
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, bool):
        raise ValueError("a duration is expected, e.g. 15m, 1h, 1d")
    elif isinstance(value, int | float):
        result = timedelta(seconds=value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if _WHOLE.fullmatch(text):
            result = timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(text)))
        elif text.isdigit():
            result = timedelta(seconds=int(text))
        elif text.startswith("p"):
            try:
                result = _ISO.validate_python(value.strip())
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a duration; use e.g. 15m, 1h30m, 1d or PT1H"
                ) from None
        else:
            raise ValueError(f"{value!r} is not a duration; use e.g. 15m, 1h30m, 1d or PT1H")
    else:
        raise ValueError("a duration is expected, e.g. 15m, 1h, 1d")
    if result <= timedelta(0):
        raise ValueError(f"a duration must be positive, got {value!r}")
    return result


def format_duration(value: timedelta) -> str:
    """The shortest ``1d2h3m4s`` form of a duration."""
    seconds = int(value.total_seconds())
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


#: A positive duration; written back as ``1h30m``.
Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
