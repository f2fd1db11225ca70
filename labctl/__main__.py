"""`python -m labctl`: the same as the `labctl` command."""

import sys

from labctl.cli import main

sys.exit(main())
