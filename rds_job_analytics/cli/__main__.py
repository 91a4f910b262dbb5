"""``python -m rds_job_analytics.cli``: the ``rds-jobs`` command."""

import sys

from . import main

sys.exit(main())
