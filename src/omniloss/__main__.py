"""``python -m omniloss``: the same as the ``omniloss`` command."""

import sys

from omniloss._cli import main

sys.exit(main())
