"""Write the deterministic sample history: ``python scripts/generate_sample.py OUT``."""

from __future__ import annotations

import sys

from rds_job_analytics.synth import generate_jobs, write_jsonl_gz


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "data/sample_jobs.jsonl.gz"
    path = write_jsonl_gz(generate_jobs(5000), out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
