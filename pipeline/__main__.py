"""`python -m pipeline`: the `newsmon` command."""

import sys

from pipeline.ui.cli import main

sys.exit(main())
