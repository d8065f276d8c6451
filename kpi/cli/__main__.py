"""``python -m kpi.cli``: the kpi command."""

import sys

from kpi.cli.main import main

sys.exit(main())
