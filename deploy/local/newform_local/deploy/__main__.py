"""`python -m newform_local.deploy export|check`."""

import sys

from .output import main

sys.exit(main())
