"""`python -m workers ...` is the `triggerpoint` command, for processes the demo starts."""

from workers.cli import app

app()
