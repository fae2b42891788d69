"""``python -m matching`` runs the matching CLI."""

import sys

from matching.cli import main

sys.exit(main())
