"""How the ``aws2bq`` command reports a failure: one line on stderr and an exit code.

- an aws2bq error (:class:`aws2bq.errors.Aws2BqError`): its one-line message, exit 1, or 2
  for bad usage or configuration;
- a usage error found by the command-line parser (an unknown command or option, a missing
  argument, a bad enum or number): one line naming the command and what to do, exit 2;
- anything else escaped a boundary that should have translated it (a bug): one line naming
  the exception type, exit 1; the traceback goes to the debug log (``aws2bq -v``).

The parser's exception classes are found through typer's own ``BadParameter`` (typer 0.2x
ships a copy of click as ``typer._click``; older typer re-exports click's classes), so
usage errors are caught on every typer version the project allows.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import typer
import typer.main

from aws2bq.errors import Aws2BqError, one_line

log = logging.getLogger("aws2bq.cli")


def _parser_classes(name: str) -> tuple[type[BaseException], ...]:
    """The class called ``name`` (``ClickException``, ``UsageError``) in typer's click and
    in click itself, when each is installed."""
    found: list[type[BaseException]] = [
        cls for cls in typer.BadParameter.__mro__ if cls.__name__ == name
    ]
    try:
        import click.exceptions

        cls = getattr(click.exceptions, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in found:
            found.append(cls)
    except ImportError:  # pragma: no cover - click is not required by newer typer
        pass
    return tuple(found)


CLICK_ERRORS = _parser_classes("ClickException")
USAGE_ERRORS = _parser_classes("UsageError")
#: Parser noise that says nothing to a user ("Value error, …" from pydantic coercion).
_NOISE = re.compile(r"(Value error, |\s*\[type=.*$)")


def print_error(message: str) -> None:
    """``error: MESSAGE`` on stderr, on one line (red on a terminal)."""
    typer.secho(f"error: {one_line(message)}", err=True, fg=typer.colors.RED)


def command_path(app: typer.Typer, argv: list[str]) -> str:
    """``aws2bq load rds``: the (sub)command ``argv`` names, as far as it names one."""
    group: Any = typer.main.get_command(app)
    path = ["aws2bq"]
    for arg in argv:
        commands = getattr(group, "commands", None)
        if not commands or arg not in commands:
            break
        group = commands[arg]
        path.append(arg)
    return " ".join(path)


def usage_message(exc: BaseException, fallback: str = "aws2bq") -> str:
    """One line for a parser error: the command, what is wrong, and where help is."""
    text = _NOISE.sub("", str(getattr(exc, "format_message", lambda: str(exc))()))
    text = text.strip().rstrip(".")
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or fallback
    return f"{command}: {text} → see `{command} --help`"


def exit_code_for(exc: BaseException, command: str = "aws2bq") -> int:
    """Report ``exc`` (one line) and return the process exit code it stands for."""
    if isinstance(exc, Aws2BqError):
        log.debug("aws2bq error", exc_info=exc)
        print_error(str(exc))
        return exc.exit_code
    if isinstance(exc, USAGE_ERRORS):
        if type(exc).__name__ != "NoArgsIsHelpError":  # the help has been printed
            print_error(usage_message(exc, command))
        return 2
    if isinstance(exc, CLICK_ERRORS):
        print_error(one_line(str(getattr(exc, "format_message", lambda: str(exc))())))
        return int(getattr(exc, "exit_code", 1) or 1)
    log.debug("unexpected error", exc_info=exc)
    print_error(
        f"unexpected {type(exc).__name__}: {exc} (a bug in aws2bq: please report it with the "
        "output of `aws2bq -v …`)"
    )
    return 1


def run_app(app: typer.Typer) -> None:
    """Run the app the way the console script does and exit with the right code."""
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(standalone_mode=False, prog_name="aws2bq")
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        sys.exit(exit_code_for(exc, command_path(app, sys.argv[1:])))
    if isinstance(code, int) and code:
        sys.exit(code)
