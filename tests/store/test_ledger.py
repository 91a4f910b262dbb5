"""The sync ledger (store/_ledger.py): sync windows recorded and read on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

P = "p" * 32


def test_sync_bookkeeping_on_both(archive):
    archive.record_sync(P, "r1", datetime(2026, 11, 1), datetime(2026, 11, 2),
                        listed=3, fetched=2, calls=4, account="prod")  # fmt: skip
    archive.record_sync(P, "r1", datetime(2026, 11, 2), datetime(2026, 11, 3),
                        listed=1, fetched=1, calls=1)  # fmt: skip
    syncs = archive.syncs(P)
    assert syncs[["listed", "fetched", "calls"]].values.tolist() == [[3, 2, 4], [1, 1, 1]]
    assert syncs["account"].tolist()[0] == "prod"
    assert str(syncs["window_end"].dt.tz) == "UTC"
    assert archive.last_sync_end(P) == datetime(2026, 11, 3, tzinfo=UTC)
    cov = archive.coverage(P, now="2026-11-03")
    assert len(cov.windows) == 1 and len(cov.gaps) == 1
