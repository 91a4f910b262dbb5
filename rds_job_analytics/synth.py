"""Deterministic generator of a realistic RDS job history (raw API responses).

The shipped sample (``data/sample_jobs.jsonl.gz``) is made by
``scripts/generate_sample.py`` with :func:`generate_jobs`; the same seed always
gives byte-identical output.  The history spans MySQL, PostgreSQL and SQL Server,
16 job types with their own failure rates and duration distributions, and the
quirks of the published examples at a small rate.

Examples
--------
>>> from rds_job_analytics.synth import generate_jobs
>>> jobs = generate_jobs(20, seed=1)
>>> sorted(jobs[0])
['job']
"""

from __future__ import annotations

import gzip
import json
import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ._validate import expand_path
from .sample import SAMPLE_END, SAMPLE_START  # the window's one home; re-exported here

__all__ = ["SAMPLE_END", "SAMPLE_START", "generate_jobs", "write_jsonl_gz"]

_ENGINES = {  # engine -> (name fragment, datastore type, versions, id suffix, weight)
    "MySQL": ("Mysql", "mysql", ["5.7", "8.0"], "in01", 0.55),
    "PostgreSQL": ("Postgresql", "postgresql", ["12", "14", "16"], "in03", 0.27),
    "SQLServer": ("Sqlserver", "sqlserver", ["2019_SE", "2022_EE"], "in04", 0.18),
}


@dataclass(frozen=True)
class _JobType:
    key: str
    weight: float
    fail_rate: float
    median_s: float
    sigma: float
    engines: tuple[str, ...]
    reasons: tuple[str, ...]


_JOB_TYPES = [
    _JobType(
        "create", 6, 0.06, 540, 0.35, ("MySQL", "PostgreSQL", "SQLServer"),
        ("createVM failed.", "Insufficient ECS capacity in the selected AZ.",
         "Create volume failed: EVS quota exceeded.", "Initialize database failed."),
    ),
    _JobType(
        "replica", 3, 0.09, 840, 0.4, ("MySQL", "PostgreSQL"),
        ("createVM failed.", "Build replication failed: primary binlog purged.",
         "Insufficient ECS capacity in the selected AZ."),
    ),
    _JobType(
        "bind_eip", 5, 0.02, 12, 0.5, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Failed to bind EIP: the EIP is already bound.", "Network port update failed."),
    ),
    _JobType(
        "unbind_eip", 3, 0.01, 9, 0.5, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Network port update failed.",),
    ),
    _JobType(
        "restart", 14, 0.015, 75, 0.45, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Instance restart timed out.", "Database process failed to start."),
    ),
    _JobType(
        "enlarge_volume", 9, 0.03, 150, 0.6, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Extend volume failed: EVS quota exceeded.", "Extend file system failed."),
    ),
    _JobType(
        "resize_flavor", 7, 0.05, 420, 0.5, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Insufficient resources for the target flavor.", "Instance restart timed out.",
         "Resize flavor failed: order payment not completed."),
    ),
    _JobType(
        "switchover", 4, 0.07, 35, 0.6, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Switchover failed: replication delay exceeds the threshold.",
         "Switchover failed: standby node is abnormal."),
    ),
    _JobType(
        "single_to_ha", 2, 0.08, 1300, 0.35, ("MySQL", "PostgreSQL", "SQLServer"),
        ("createVM failed.", "Build replication failed: full backup timed out."),
    ),
    _JobType(
        "backup", 16, 0.04, 260, 1.0, ("SQLServer", "MySQL", "PostgreSQL"),
        ("Backup failed: insufficient disk space.", "Backup failed: database in recovery mode.",
         "Upload backup to OBS failed."),
    ),
    _JobType(
        "restore", 3, 0.12, 1700, 0.7, ("SQLServer", "MySQL", "PostgreSQL"),
        ("Restore failed: backup file is corrupted.", "Restore failed: insufficient disk space.",
         "Download backup from OBS failed."),
    ),
    _JobType(
        "single_db_restore", 2, 0.1, 600, 0.6, ("SQLServer",),
        ("Restore failed: database name already exists.", "Restore failed: backup file is corrupted."),
    ),
    _JobType(
        "delete", 3, 0.01, 45, 0.4, ("MySQL", "PostgreSQL", "SQLServer"),
        ("Delete VM failed.",),
    ),
    _JobType(
        "upgrade_minor", 2, 0.06, 950, 0.4, ("MySQL", "PostgreSQL"),
        ("Upgrade failed: replication check failed.", "Instance restart timed out."),
    ),
    _JobType(
        "pitr_table", 1, 0.15, 720, 0.8, ("MySQL",),
        ("Restore failed: binlog for the requested time is missing.",),
    ),
    _JobType(
        "migrate_standby", 1, 0.1, 1500, 0.4, ("MySQL", "PostgreSQL", "SQLServer"),
        ("createVM failed.", "Insufficient ECS capacity in the selected AZ."),
    ),
]  # fmt: skip


def _job_name(key: str, engine: str) -> str:
    e = _ENGINES[engine][0]
    names = {
        "create": f"Create{e}SingleHAInstance",
        "replica": f"Create{e}ReplicaInstance",
        "bind_eip": f"{e}BindEIP",
        "unbind_eip": f"{e}UnbindEIP",
        "restart": f"Restart{e}Instance",
        "enlarge_volume": f"{e}EnlargeVolume",
        "resize_flavor": "RESIZE_FLAVOR",
        "switchover": f"{e}Switchover",
        "single_to_ha": f"{e}SingleToHa",
        "backup": f"BackupDb{e}InInstance",
        "restore": f"Restore{e}InInstance",
        "single_db_restore": f"SingleDbRestore{e}InInstance",
        "delete": f"Delete{e}Instance",
        "upgrade_minor": f"Upgrade{e}MinorVersion",
        "pitr_table": f"{e}TableLevelRestore",
        "migrate_standby": f"{e}MigrateStandbyAZ",
    }
    return names[key]


@dataclass
class _Instance:
    id: str
    name: str
    engine: str
    version: str
    kind: str
    volume_gb: int
    ip: str
    primary: str | None = None


def _eligible(inst: _Instance, jt: _JobType) -> bool:
    if inst.engine not in jt.engines:
        return False
    return not (inst.kind == "Replica" and jt.key in ("create", "replica", "single_to_ha"))


def _fmt_time(t: datetime, rng: random.Random) -> str:
    """The API's format, with the quirks seen in the wild at a small rate."""
    r = rng.random()
    if r < 0.02:  # a non-UTC offset, converted correctly
        local = t.astimezone(timezone(timedelta(hours=8)))
        return local.strftime("%Y-%m-%dT%H:%M:%S+0800")
    if r < 0.03:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{t.microsecond // 1000:03d}Z"
    if r < 0.035:
        return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return t.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _hex(rng: random.Random, n: int = 32) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _make_instances(rng: random.Random, n: int) -> list[_Instance]:
    apps = ["orders", "billing", "users", "catalog", "search", "audit", "crm", "ledger",
            "events", "reports", "auth", "inventory", "payments", "notify"]  # fmt: skip
    engines = list(_ENGINES)
    weights = [_ENGINES[e][4] for e in engines]
    out = []
    for i in range(n):
        engine = rng.choices(engines, weights)[0]
        suffix = _ENGINES[engine][3]
        app = apps[i % len(apps)]
        kind = rng.choice(["Ha", "Ha", "Single"])
        out.append(
            _Instance(
                id=_hex(rng) + suffix,
                name=f"{app}-{engine.lower()}-{i:02d}",
                engine=engine,
                version=rng.choice(_ENGINES[engine][2]),
                kind=kind,
                volume_gb=rng.choice([40, 100, 200, 500]),
                ip=f"192.168.{rng.randint(0, 15)}.{rng.randint(2, 250)}",
            )
        )
    return out


def _progress(rng: random.Random) -> str:
    pct = rng.choice([5, 10, 20, 30, 45, 60, 75, 90])
    return rng.choice([f"{pct}", f"{pct}%", f"{pct}% ", f"{pct} % ", f"{pct}%"])


def _entities(
    rng: random.Random, key: str, inst: _Instance, instances: list[_Instance], failed: bool
) -> tuple[dict[str, Any], _Instance]:
    ds = {"type": _ENGINES[inst.engine][1], "version": inst.version}
    port = {"MySQL": 3306, "PostgreSQL": 5432, "SQLServer": 1433}[inst.engine]
    if key in ("create", "replica", "single_to_ha"):
        target = inst
        if key == "replica":
            target = _Instance(
                id=_hex(rng) + _ENGINES[inst.engine][3],
                name=f"{inst.name}-replica",
                engine=inst.engine,
                version=inst.version,
                kind="Replica",
                volume_gb=inst.volume_gb,
                ip=f"192.168.{rng.randint(0, 15)}.{rng.randint(2, 250)}",
                primary=inst.id,
            )
            instances.append(target)
        itype = {"create": target.kind, "replica": "Replica", "single_to_ha": "Ha"}[key]
        if rng.random() < 0.1:  # case varies in the wild
            itype = itype.lower()
        einst: dict[str, Any] = {"type": itype, "datastore": ds}
        if not failed:
            einst = {"endpoint": f"{target.ip}:{port}", **einst}
        if target.primary:
            einst["replica_of"] = target.primary
        ent: dict[str, Any] = {"instance": einst}
        if not failed:
            rkey = "resource_id" if rng.random() < 0.05 else "resource_ids"
            ent[rkey] = [f"{target.id}.vm", f"{target.id}.volume"]
        return ent, target
    if key in ("bind_eip", "unbind_eip"):
        return {"public_ip": f"{rng.choice([49, 119, 124, 159])}.{rng.randint(0, 255)}."
                f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"}, inst  # fmt: skip
    if key == "enlarge_volume":
        step = rng.choice([10, 20, 50, 50, 100, 100, 200, 500])
        original = inst.volume_gb
        target_gb = min(original + step, 4000)
        if not failed:
            inst.volume_gb = target_gb
        vtype = rng.choice(["CLOUDSSD", "CLOUDSSD", "ESSD", "ULTRAHIGH"])
        return {
            "volume": {"type": vtype, "original_size": str(original), "target_size": str(target_gb)}
        }, inst
    if key == "switchover":
        return {"switch_strategy": rng.choice(["reliability", "reliability", "availability"])}, inst
    if key == "resize_flavor" and rng.random() < 0.3:
        # a key the schema does not know: must land in `extra`, never dropped
        return {
            "flavor_ref": rng.choice(["rds.mysql.n1.large.2.ha", "rds.pg.x1.xlarge.4.ha"])
        }, inst
    return {}, inst


def generate_jobs(
    n: int = 5000,
    *,
    start: datetime = SAMPLE_START,
    end: datetime = SAMPLE_END,
    seed: int = 20260801,
    n_instances: int = 60,
    quirk_rate: float = 1.0,
) -> list[dict[str, Any]]:
    """Generate ``n`` raw ``{"job": {...}}`` responses between ``start`` and ``end``.

    Parameters
    ----------
    n : int
        Number of jobs.
    start, end : datetime
        Tz-aware window of creation times; jobs still running at ``end`` are Running.
    seed : int
        The same seed gives the same jobs.
    n_instances : int
        Size of the simulated fleet.
    quirk_rate : float
        Multiplier on the rate of spec quirks (0 disables them).

    Examples
    --------
    >>> len(generate_jobs(5, seed=3))
    5
    """
    rng = random.Random(seed)
    instances = _make_instances(rng, n_instances)
    weights = [t.weight for t in _JOB_TYPES]
    span = (end - start).total_seconds()
    # creation times: busier on weekdays and office hours
    times: list[datetime] = []
    while len(times) < n:
        t = start + timedelta(seconds=rng.random() * span)
        accept = (1.0 if t.weekday() < 5 else 0.45) * (1.0 if 1 <= t.hour <= 11 else 0.55)
        if rng.random() < accept:
            times.append(t.replace(microsecond=rng.randrange(0, 1000) * 1000))
    times.sort()
    jobs = []
    candidates: dict[str, list[_Instance]] = {t.key: [] for t in _JOB_TYPES}
    seen = 0
    for created in times:
        jt = rng.choices(_JOB_TYPES, weights)[0]
        while seen < len(instances):  # index new instances (replicas) once
            new = instances[seen]
            seen += 1
            for t in _JOB_TYPES:
                if _eligible(new, t):
                    candidates[t.key].append(new)
        inst = rng.choice(candidates[jt.key] or instances)
        # a bad month for switchovers (September) makes month-over-month charts interesting
        fail_rate = jt.fail_rate * (3.0 if jt.key == "switchover" and created.month == 9 else 1.0)
        failed = rng.random() < fail_rate
        duration = rng.lognormvariate(math.log(jt.median_s), jt.sigma)
        if failed:
            duration *= rng.uniform(0.2, 1.5)
        ended = created + timedelta(seconds=max(duration, 1.0))
        running = ended > end or (rng.random() < 0.002)  # a few stuck jobs
        entities, target = _entities(rng, jt.key, inst, instances, failed and not running)
        name = _job_name(jt.key, inst.engine)
        job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if rng.random() < 0.15:
            job_id = job_id.replace("-", "")
        job: dict[str, Any] = {"id": job_id, "name": name}
        status = "Running" if running else ("Failed" if failed else "Completed")
        job["status"] = status
        job["created"] = _fmt_time(created, rng)
        if not running:
            job["ended"] = _fmt_time(ended, rng)
        elif rng.random() < 0.3:
            job["ended"] = ""
        job["process"] = _progress(rng) if running else ""
        job["instance"] = {"id": target.id, "name": target.name}
        job["entities"] = entities
        if status == "Failed":
            job["fail_reason"] = rng.choice(jt.reasons) if rng.random() > 0.05 else None
        q = rng.random() / max(quirk_rate, 1e-9)
        if q < 0.01:
            job["name"] = " " + name if rng.random() < 0.5 else name + " "
        elif q < 0.015:
            job[" status"] = job.pop("status")
        elif q < 0.02:
            job["id"] = (
                " - ".join(job_id.split("-")) if "-" in job_id else f"{job_id[:8]} {job_id[8:]}"
            )
        elif q < 0.025 and status == "Completed":
            job["status"] = "Complete"
        elif q < 0.03:
            job["status"] = f" {status.lower()} " if " status" not in job else job[" status"]
        jobs.append({"job": job})
    return jobs


def write_jsonl_gz(jobs: list[dict[str, Any]], path: str | Path) -> Path:
    """Write responses as gzip JSON Lines with byte-identical output for identical input.

    Examples
    --------
    >>> import tempfile, os
    >>> p = write_jsonl_gz(generate_jobs(2, seed=1), os.path.join(tempfile.mkdtemp(), "x.gz"))
    >>> p.exists()
    True
    """
    path = expand_path(Path(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(json.dumps(j, ensure_ascii=False) + "\n" for j in jobs).encode()
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)
    return path
