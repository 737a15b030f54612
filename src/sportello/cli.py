"""The `sportello` command: django-admin with Sportello's settings."""

import os
import sys
from typing import NoReturn


def main() -> None:
    # Before anything opens a file: the SQLite database, the queue, the cache and keys are
    # created readable by the owner only (the web server and worker inherit it from `serve`).
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportello.settings")
    from django.core.management import execute_from_command_line

    one_line_usage_errors()
    execute_from_command_line(sys.argv)


def one_line_usage_errors() -> None:
    """A wrong option is one line on stderr, like every other refusal of a command, not
    argparse's usage block ("--help" still shows the usage)."""
    from django.core.management.base import CommandError, CommandParser

    def error(parser: CommandParser, message: str) -> NoReturn:
        if parser.called_from_command_line:
            parser.exit(2, f"{parser.prog}: {message}\n")
        raise CommandError(f"Error: {message}")

    # Django builds each command's parser itself, so the class is where this can go; mypy
    # refuses any assignment to a method (and compares it as if unbound).
    CommandParser.error = error  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    main()
