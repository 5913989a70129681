"""`python -m netaudit_cli ...`: the `netaudit` console script."""

import sys

from netaudit_cli.main import main

sys.exit(main())
