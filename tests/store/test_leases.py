"""Leases (store/_leases.py): one sync per project, across processes and machines; expiry
on the one clock (``_time.use_clock`` moves it: no test sleeps)."""

from __future__ import annotations

import queue
import threading
from datetime import UTC, datetime, timedelta

import pytest

from rds_job_analytics import JobArchive, ProjectBusy, _time

P = "p" * 32


def test_a_lease_is_seen_by_every_handle_and_freed_on_release(archive_url):
    with JobArchive(archive_url) as a, JobArchive(archive_url) as b:
        lease = a.claim(P)
        with pytest.raises(ProjectBusy, match="being synced by"):
            b.claim(P)
        with b.claim("other"):  # another project is free
            pass
        lease.release()
        b.claim(P).release()


def test_simultaneous_claims_of_one_project_have_one_winner(archive_url):
    handles = [JobArchive(archive_url) for _ in range(6)]  # six machines, one project
    go, won, busy = threading.Barrier(len(handles)), [], []

    def claim(arc):
        go.wait()
        try:
            won.append(arc.claim(P))
        except ProjectBusy:
            busy.append(arc)

    threads = [threading.Thread(target=claim, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(won) == 1 and len(busy) == len(handles) - 1
    finally:
        for lease in won:
            lease.release()
        for h in handles:
            h.close()


def test_a_lease_renews_itself_and_expires_when_its_holder_stops(tmp_path, monkeypatch):
    """The heartbeat renews the lease; once it stops, the lease runs out when the one clock
    passes its ttl. Time is moved with ``use_clock`` (the heartbeat's renewals are awaited
    as events), never slept."""
    clock = [datetime(2026, 12, 1, tzinfo=UTC)]
    seen: queue.Queue = queue.Queue()
    renew = JobArchive._renew

    def observed(self, project_id, holder, ttl):
        at = _time.epoch_seconds()  # the renewal reads the clock after this
        ok = renew(self, project_id, holder, ttl)
        seen.put((at, ok))
        return ok

    def renewed_since(t: float) -> bool:
        """The outcome of the heartbeat's first renewal that read the clock at ``t`` or later."""
        while True:
            at, ok = seen.get(timeout=30)
            if at >= t:
                return ok

    monkeypatch.setattr(JobArchive, "_renew", observed)
    with _time.use_clock(lambda: clock[0]):
        arc, other = JobArchive(tmp_path / "a.sqlite"), JobArchive(tmp_path / "a.sqlite")
        held = arc.claim("p", ttl=0.3)
        for _ in range(5):  # a second of the clock, over three ttl: alive only if renewed
            clock[0] += timedelta(seconds=0.2)
            assert renewed_since(_time.epoch_seconds())
            with pytest.raises(ProjectBusy):
                other.claim("p")
        held._stop.set()  # the holder hangs (or was killed on another host): no more renewals
        held._thread.join()
        with pytest.raises(ProjectBusy):  # not yet run out
            other.claim("p")
        clock[0] += timedelta(seconds=0.31)
        with other.claim("p"):  # taken over at once: the ttl has run out
            held.release()  # the old holder's late release leaves the new claim alone
            with pytest.raises(ProjectBusy):
                arc.claim("p")
        arc.close()
        other.close()
