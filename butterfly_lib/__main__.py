"""``python -m butterfly_lib``: the same as the ``butterfly`` command."""

import sys

from butterfly_lib.cli import main

sys.exit(main())
