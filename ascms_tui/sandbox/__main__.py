"""`python -m ascms_tui.sandbox`: the same as `ascms-tui sandbox`, without loading the app's core."""

import sys

from .options import main

sys.exit(main())
