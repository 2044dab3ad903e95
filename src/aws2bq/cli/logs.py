"""The debug log of the ``aws2bq`` command (``aws2bq -v …``).

Off by default: a user sees one line per error. With ``-v`` (or ``AWS2BQ_VERBOSE=1``) every
``aws2bq.*`` logger writes at DEBUG level to stderr — the SQL of a failed statement, the
driver's own message, tracebacks of unexpected errors — as plain lines on a terminal and as
JSON lines otherwise (the same stream and format as the progress log, so a scheduler's log
collector reads one format).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

ROOT = "aws2bq"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: ``ts``, ``event`` (``debug``/``info``/…), ``logger``,
    ``message`` and, for an exception, its ``traceback``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "event": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(*, verbose: bool) -> None:
    """Send the ``aws2bq`` loggers to stderr at DEBUG (``verbose``) or keep them quiet."""
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        if getattr(handler, "_aws2bq_cli", False):
            logger.removeHandler(handler)
    if not verbose:
        logger.setLevel(logging.WARNING)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._aws2bq_cli = True  # type: ignore[attr-defined]
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
