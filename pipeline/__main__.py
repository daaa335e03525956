"""`python -m pipeline`: the `newsmon` command."""

from pipeline.ui.cli import entry

entry()
