"""``python -m edge init|serve|trust ...``: the ``borderpass edge`` command on its own."""

import sys

from .cli import main

sys.exit(main())
