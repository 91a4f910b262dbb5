"""Write the README's schema table from the field table (``rds_job_analytics.normalize._fields``).

Usage: python scripts/schema_table.py [README.md]   (a test fails while they differ)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from rds_job_analytics.normalize._fields import markdown_table

TABLE = re.compile(r"^\| column \| from \| dtype \|\n(?:^\|.*\|\n)+", re.MULTILINE)


def main(path: str = "README.md") -> None:
    readme = Path(path)
    text = readme.read_text()
    new, count = TABLE.subn(markdown_table() + "\n", text)
    if count != 1:
        sys.exit(f"{path}: expected one schema table, found {count}")
    readme.write_text(new)


if __name__ == "__main__":
    main(*sys.argv[1:])
