"""The `sportello` command: django-admin with Sportello's settings."""

import os
import sys


def main() -> None:
    # Before anything opens a file: the SQLite database, the queue, the cache and keys are
    # created readable by the owner only (the web server and worker inherit it from `serve`).
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportello.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
