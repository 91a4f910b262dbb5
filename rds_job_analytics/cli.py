"""The ``rds-jobs`` command line.

Examples
--------
>>> from rds_job_analytics.cli import main
>>> main(["--help"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

__all__ = ["main", "summarize"]


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Per job type: jobs, failed, running, failure rate and median duration.

    Examples
    --------
    >>> from rds_job_analytics import load_sample
    >>> summarize(load_sample()).columns.tolist()
    ['jobs', 'failed', 'running', 'failure_rate', 'median_min']
    """
    g = df.groupby("job_name", observed=True)
    out = pd.DataFrame(
        {
            "jobs": g.size(),
            "failed": g["status"].apply(lambda s: int((s == "Failed").sum())),
            "running": g["status"].apply(lambda s: int((s == "Running").sum())),
        }
    )
    finished = out["jobs"] - out["running"]
    out["failure_rate"] = (out["failed"] / finished.where(finished > 0)).round(3)
    out["median_min"] = (g["duration_s"].median() / 60).round(1)
    return out.sort_values("jobs", ascending=False)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .sample import load_sample

    df = load_sample()
    span = f"{df['created'].min():%Y-%m-%d} .. {df['created'].max():%Y-%m-%d}"
    print(f"sample: {len(df)} jobs, {df['job_name'].nunique()} job types, {span}")
    with pd.option_context("display.max_rows", 100, "display.width", 120):
        print(summarize(df).to_string())
    counts = df["status"].value_counts()
    print(
        f"total: {len(df)} jobs, {counts.get('Failed', 0)} failed, "
        f"{counts.get('Running', 0)} running"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rds-jobs", description="Fetch, archive and analyse RDS task-center jobs."
    )
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="run the main job on the built-in sample data")
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rds-jobs``; returns the process exit code."""
    args = _parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
