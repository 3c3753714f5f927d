"""``python -m scheduler.cli``: the ``callsheet`` command."""

from scheduler.cli.main import app

app()
