"""The task list as the emulator serves it: a job's task-list record (:func:`task_of`), the
filters, and the time helpers its handler and state share."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from typing import Any

import pandas as pd

from ..normalize.schema import canonical_status, strip_job_id

#: Task-list filters compared after cleaning both sides; the others match exactly.
_TASK_FILTERS = {
    "instance_id": lambda v: str(v).strip(),
    "name": lambda v: str(v).strip(),
    "status": canonical_status,
    "id": strip_job_id,
    "order_id": str,
}
#: A job's task-list record: (creation time, the record as served, its keys stripped,
#: its creation and end times as epoch microseconds or None, for the time filter).
_TaskRow = tuple[pd.Timestamp | None, dict[str, Any], dict[str, Any], int | None, int | None]
#: How the task list's ``start_time``/``end_time`` filter reads (``Emulator(task_time_filter=)``):
#: ``"created"``, both bound the creation time; ``"literal"``, as the API page words it,
#: ``start_time`` bounds the creation time and ``end_time`` the task's end time (a task with
#: no end time, e.g. Running, is then outside every window).
TASK_TIME_FILTERS = ("created", "literal")
#: Job fields the task list repeats, under its own names (``progress``: sibling spelling).
_TASK_NAMES = {
    "id": "id",
    "name": "name",
    "status": "status",
    "created": "create_time",
    "ended": "end_time",
    "process": "process",
    "progress": "process",
    "fail_reason": "fail_reason",
    "instance_status": "instance_status",
    "order_id": "order_id",
}
#: The instance statuses of the RDS API (``ListInstances``' ``status``, as the task list's
#: ``instance_status`` spells them), ``ACTIVE`` first: what :func:`task_of` serves.
INSTANCE_STATUSES = (
    "ACTIVE", "BUILD", "FAILED", "FROZEN", "MODIFYING", "REBOOTING", "RESTORING",
    "MODIFYING INSTANCE TYPE", "SWITCHOVER", "MIGRATING", "BACKING UP",
    "MODIFYING DATABASE PORT", "STORAGE FULL",
)  # fmt: skip


def _task_extras(job_id: str | None) -> dict[str, str]:
    """``instance_status`` and ``order_id`` of a job the record is silent about, a pure
    function of its ID (the same on every run): 7 in 10 ``ACTIVE``, the rest spread over
    the other :data:`INSTANCE_STATUSES`; 1 in 4 carries an order ID (a yearly/monthly
    instance's ``CS...``), the others ``""``."""
    h = int.from_bytes(hashlib.sha256(str(job_id or "").encode()).digest()[:8], "big")
    status = "ACTIVE" if h % 10 < 7 else INSTANCE_STATUSES[1 + (h // 10) % 12]
    order = f"CS{h % 10**12:012d}{(h >> 40) % 36**5:05X}"[:19] if (h >> 20) % 4 == 0 else ""
    return {"instance_status": status, "order_id": order}


def task_of(job: dict[str, Any], job_id: str | None = None) -> dict[str, Any]:
    """The task-list record (``GET /tasklist``) the emulator serves for one job.

    Same id, name, status, times, progress, failure reason and instance as the job,
    under the task list's field names (``create_time``, ``end_time``, flat
    ``instance_id``/``instance_name``), values verbatim: the job's spelling of its status
    (``Complete``, ``" completed "``), stray spaces in names and IDs, and padded keys
    (a job's ``" status"`` gives the task a ``" status"``) stay, so the normalizer's
    task path meets the published quirks. ``instance_status`` and ``order_id`` come
    from the job record when it carries them, else from the job's ID, the same on every
    run: mostly ``"ACTIVE"``, otherwise another of :data:`INSTANCE_STATUSES`; an order ID
    for about one job in four, else ``""``. A field the job lacks is ``None``.

    Parameters
    ----------
    job : dict
        The job object (the value of ``{"job": ...}``).
    job_id : str, optional
        The ID to serve when the job has none.

    Returns
    -------
    dict

    Examples
    --------
    >>> task_of({"id": "j1", "name": "RestartMysqlInstance", " status": "Complete",
    ...          "created": "2026-11-01T08:00:00+0800", "process": "",
    ...          "instance": {"id": "i1", "name": "db"}, "entities": {}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'id': 'j1', 'name': 'RestartMysqlInstance', ' status': 'Complete',
     'create_time': '2026-11-01T08:00:00+0800', 'process': '', 'instance_id': 'i1',
     'instance_name': 'db', 'end_time': None, 'fail_reason': None,
     'instance_status': 'ACTIVE', 'order_id': ''}
    """
    task: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in job.items():
        name = str(key).strip()
        if name == "instance" and isinstance(value, dict):
            for ikey, ivalue in value.items():
                iname = str(ikey).strip()
                if iname in ("id", "name") and f"instance_{iname}" not in seen:
                    task[str(ikey).replace(iname, f"instance_{iname}")] = ivalue
                    seen.add(f"instance_{iname}")
            continue
        target = _TASK_NAMES.get(name)
        if target is None or target in seen:
            continue
        task[str(key).replace(name, target)] = value  # keeps the padding of the key
        seen.add(target)
    own_id = next((v for k, v in job.items() if str(k).strip() == "id"), None)
    extras = _task_extras(job_id if job_id is not None else strip_job_id(str(own_id or "")))
    for target in ("id", "name", "status", "create_time", "end_time", "process", "fail_reason",
                   "instance_id", "instance_name", "instance_status", "order_id"):  # fmt: skip
        if target not in seen:
            task[target] = job_id if target == "id" else extras.get(target)
    return task


def _us(when: pd.Timestamp) -> int:
    """Epoch microseconds (years 1..9999 fit, unlike nanoseconds)."""
    return int(when.as_unit("us").asm8.view("i8"))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shifted(record: dict[str, Any], days: int) -> dict[str, Any]:
    """A copy of a raw response whose ``created`` and ``ended`` are ``days`` later: only the
    date is rewritten, so the time, offset and spelling of each value stay as they were."""
    if not days:
        return record
    job = record.get("job", record)
    moved = {}
    for key, value in job.items():
        if str(key).strip() in ("created", "ended") and isinstance(value, str):
            value = _ISO_DATE.sub(
                lambda m: (date.fromisoformat(m.group()) + timedelta(days=days)).isoformat(),
                value,
                count=1,
            )
        moved[key] = value
    return {**record, "job": moved} if "job" in record else moved


def _is_epoch_ms(text: str) -> bool:
    """Whether a ``start_time``/``end_time`` is whole epoch milliseconds a timestamp can
    hold (``"1.5e12"``, ``"abc"`` or 10**20 are not: the API answers 400 ``DBS.280001``)."""
    if not text.isascii() or not text.lstrip("-").isdigit():
        return False
    try:
        pd.Timestamp(int(text), unit="ms", tz="UTC")
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        return False
    return True


# How often the serving thread looks for stop(): stop() returns within this (the standard
