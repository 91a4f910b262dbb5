"""``python -m rds_job_analytics.cli``: the same as ``rds-jobs``."""

import sys

from . import main

sys.exit(main())
