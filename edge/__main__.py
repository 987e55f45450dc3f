"""``python -m edge init|serve|trust ...``: the ``borderpass edge`` command on its own."""

import os
import sys

from borderpass.private import UMASK

from .cli import main

os.umask(UMASK)
sys.exit(main())
