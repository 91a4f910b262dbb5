"""An open dataset: the normalized jobs as hive-partitioned Parquet, and SQL over them.

:func:`export_dataset` writes an archive (or any job frame) to a folder any engine reads
(DuckDB, Spark, Dask, pyarrow, pandas) without this package::

    DIR/_rds_jobs_manifest.json
    DIR/account=prod/region=cn-north-4/month=2026-10/part-0.parquet
    DIR/account=__HIVE_DEFAULT_PARTITION__/region=.../month=.../part-0.parquet

One file per (account, region, month of ``created``, UTC). A missing account, region or
creation time is Hive's null partition, ``__HIVE_DEFAULT_PARTITION__``
(:data:`NULL_PARTITION`), which pyarrow, Dask, DuckDB and Spark all read back as null.
The files hold the other columns of :data:`~rds_job_analytics.JOB_SCHEMA`: text and
categories as strings, times as UTC microseconds, ``resource_ids`` and ``extra`` as JSON
text (as :func:`~rds_job_analytics.export._files.write_frame` writes them). The manifest keeps
a SHA-256 of each partition's file, so a second export rewrites only the partitions
whose content changed, and both the export and :func:`read_jobs` check the files
against it (an export repairs what it owns, a read names the damaged file). Nothing under the
folder may be a symbolic link, and every manifest key must be a partition of the layout.
:func:`read_jobs` reads the folder back into the normalized schema, filters pushed down to
``pyarrow.dataset`` (partitions pruned); ``export._sql.run_sql`` runs DuckDB over it.

Examples
--------
>>> import tempfile
>>> from rds_job_analytics import load_sample
>>> df = load_sample()
>>> with tempfile.TemporaryDirectory() as folder:
...     first = export_dataset(df, folder)
...     again = export_dataset(df, folder)          # nothing changed: nothing written
...     back = read_jobs(folder, start="2026-10-01", end="2026-11-01")
>>> len(first.written), len(again.written), len(again.unchanged)
(4, 0, 4)
>>> back["created"].min() >= pd.Timestamp("2026-10-01", tz="UTC"), list(back.columns) == list(JOB_SCHEMA)
(True, True)
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .._time import to_utc, whole_months
from .._validate import expand_path
from ..exceptions import ConfigError, DatasetDamaged, DatasetRepairedWarning, DatasetUnsafe
from ..normalize import frame_from_columns
from ..normalize.schema import CATEGORY, JOB_ORDER, JOB_SCHEMA, OBJECT, TEXT, empty_jobs_frame
from ._files import _JSON_COLUMNS, _json_text

if TYPE_CHECKING:
    from ..store import JobArchive

__all__ = [
    "MANIFEST_NAME",
    "NULL_PARTITION",
    "PARTITION_KEYS",
    "PARTITION_SCHEMA",
    "DatasetExport",
    "export_dataset",
    "from_arrow",
    "read_jobs",
    "to_arrow",
]

#: The manifest file in the dataset's folder (engines skip names starting with ``_``).
MANIFEST_NAME = "_rds_jobs_manifest.json"
#: What the manifest's ``format`` key holds: how a folder is recognised as ours.
_FORMAT = "rds_job_analytics.export._dataset"
_FORMAT_VERSION = 1
#: Hive's name for a null partition value: every engine reads it back as null.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
#: The partition keys, outermost first: folders ``account=.../region=.../month=YYYY-MM``.
PARTITION_KEYS = ("account", "region", "month")
#: The one data file of each partition.
_PART_FILE = "part-0.parquet"
_TMP_PREFIX = ".tmp-"
_MONTH = re.compile(r"\d{4}-\d{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Row order in the files and in :func:`read_jobs`' frame: the one job order.
_ORDER = list(JOB_ORDER)

# -- the file layout: JOB_SCHEMA minus the partition keys, as arrow types ----------------
_TIME_COLUMNS = ("created", "ended")
_TIME_TYPE = pa.timestamp("us", tz="UTC")  # Spark and older engines read no nanoseconds


def _arrow_type(name: str, dtype: Any) -> pa.DataType:
    if name in _TIME_COLUMNS:
        return _TIME_TYPE
    if dtype == "float64":
        return pa.float64()
    return pa.string()  # text, categories, and the JSON text of the object columns


#: Arrow type of every schema column as the dataset stores it.
_ARROW_TYPES = {name: _arrow_type(name, dtype) for name, dtype in JOB_SCHEMA.items()}
#: The columns inside the files (the account and region are the folders).
_FILE_COLUMNS = tuple(c for c in JOB_SCHEMA if c not in PARTITION_KEYS)
_FILE_SCHEMA = pa.schema([(c, _ARROW_TYPES[c]) for c in _FILE_COLUMNS])
#: The partition keys' types (all strings). Dask infers them anew from each file's path,
#: which fails on a null partition: give them to it,
#: ``dd.read_parquet(DIR, dataset={"partitioning": {"flavor": "hive", "schema": PARTITION_SCHEMA}})``.
PARTITION_SCHEMA = pa.schema([(k, pa.string()) for k in PARTITION_KEYS])
_PARTITIONING = ds.HivePartitioning(PARTITION_SCHEMA, null_fallback=NULL_PARTITION)


@dataclass(frozen=True)
class DatasetExport:
    """What :func:`export_dataset` did.

    Attributes
    ----------
    path : Path
        The dataset's folder.
    rows : int
        Jobs in the partitions covered by this export (written or unchanged).
    written, unchanged, removed : tuple of str
        Partitions (``account=.../region=.../month=...``) written because their content
        changed or was new (or their file was damaged), left alone because it had not,
        and deleted because the archive (within the exported months) no longer has rows
        there (or they were stray copies).
    repaired : tuple of str
        Partitions whose file was damaged (its bytes not the manifest's, missing, a
        folder in its place) and was written again from the source (they are in
        ``written`` or ``removed`` too), and stray byte-for-byte copies of a partition,
        deleted.
    """

    path: Path
    rows: int
    written: tuple[str, ...] = field(default=())
    unchanged: tuple[str, ...] = field(default=())
    removed: tuple[str, ...] = field(default=())
    repaired: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        text = (
            f"{self.rows} jobs in {len(self.written) + len(self.unchanged)} partitions of "
            f"{self.path}: {len(self.written)} written, {len(self.unchanged)} unchanged"
        )
        text += f", {len(self.removed)} removed" if self.removed else ""
        return text + (f", {len(self.repaired)} repaired" if self.repaired else "")


# -- the folder: ours, empty, or refused ------------------------------------------------
def _valid_segment(name: str, value: str) -> bool:
    """Whether ``value`` is a folder value exactly as :func:`_segment` writes it."""
    if name == "month":
        return value == NULL_PARTITION or bool(_MONTH.fullmatch(value))
    return bool(value) and _segment(unquote(value)) == value


def _valid_key(key: Any) -> bool:
    """Whether ``key`` is a partition of the layout, ``account=A/region=R/month=M``, with
    each value as the exporter writes it (no ``..``, no separator, no empty value)."""
    if not isinstance(key, str):
        return False
    parts = key.split("/")
    return len(parts) == len(PARTITION_KEYS) and _layout_segments(parts)


def _layout_segments(parts: Sequence[str]) -> bool:
    """Whether ``parts`` are the layout's first folders in order (``account=A``,
    ``region=R``, ``month=M``), each value as the exporter writes it: the one segment rule
    of manifest keys and of the files an export owns."""
    if len(parts) > len(PARTITION_KEYS):
        return False
    for name, part in zip(PARTITION_KEYS, parts, strict=False):
        seg_name, eq, value = part.partition("=")
        if seg_name != name or not eq or not _valid_segment(name, value):
            return False
    return True


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("sha256"), str)
        and bool(_SHA256.fullmatch(entry["sha256"]))
        and all(type(entry.get(k)) is int and entry[k] >= 0 for k in ("rows", "bytes"))
    )


def _load_manifest(path: Path) -> dict[str, Any] | None:
    file = path / MANIFEST_NAME
    if not file.is_file():
        return None
    try:
        manifest = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ConfigError(f"{str(file)!r} is not an rds_job_analytics dataset manifest")
    try:
        version = int(manifest.get("version", 0))
    except (TypeError, ValueError):
        raise DatasetDamaged(
            f"{str(file)!r}: 'version' must be a whole number, not {manifest['version']!r:.40}",
            path=str(file), reason="version is not a whole number",
        ) from None  # fmt: skip
    if version > _FORMAT_VERSION:
        raise ConfigError(
            f"dataset {str(path)!r} was written by a newer rds_job_analytics "
            f"(format {manifest['version']}; this version reads up to {_FORMAT_VERSION}): upgrade"
        )
    manifest.setdefault("partitions", {})
    manifest.setdefault("pending", {})
    for section in ("partitions", "pending"):
        entries = manifest[section]
        if not isinstance(entries, dict):
            raise DatasetDamaged(
                f"{str(file)!r}: {section!r} is not a mapping of partitions",
                path=str(file), reason=f"{section} is not a mapping",
            )  # fmt: skip
        for key, entry in entries.items():
            if not _valid_key(key):
                shown = repr(key)[:120]
                raise DatasetUnsafe(
                    f"{str(file)!r} lists {shown}, which is not a partition of the layout "
                    "(account=.../region=.../month=YYYY-MM as the export writes it): refused, "
                    "nothing read, written or deleted",
                    path=str(file),
                )
            if not (_valid_entry(entry) or (section == "pending" and entry is None)):
                raise DatasetDamaged(
                    f"{str(file)!r}: the entry of {key!r} has no valid sha256, rows and bytes",
                    path=str(file), reason=f"bad entry for {key}",
                )  # fmt: skip
    return manifest


@dataclass(frozen=True)
class _Folder:
    """A dataset folder as found: its manifest, and what stands at each partition's file
    (``True``: a regular file; ``False``: an empty folder in its place)."""

    manifest: dict[str, Any]
    found: dict[str, bool]


def _check_folder(path: Path, *, create: bool) -> _Folder:
    """The manifest of the dataset at ``path`` (empty for a new or empty folder with
    ``create``) and the partition files found; ConfigError naming the folder and what in
    it is not ours, DatasetUnsafe naming a symbolic link under it, otherwise.

    ``path`` itself may be a link (a dataset on another disk): only what is under it is
    checked."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"dataset {str(path)!r} is not a folder")
    if not path.exists() or not any(path.iterdir()):
        if create:
            empty = {"format": _FORMAT, "version": _FORMAT_VERSION, "partitions": {}}
            return _Folder({**empty, "pending": {}}, {})
        why = "it does not exist" if not path.exists() else "it is empty"
        raise ConfigError(f"no dataset at {str(path)!r}: {why} (export_dataset writes one)")
    items = list(_walk(path))
    for item, kind in items:
        if kind == "link":
            raise DatasetUnsafe(
                f"{str(item)!r} in the dataset {str(path)!r} is a symbolic link: refused (it "
                "could send writes, reads or deletions outside the dataset; nothing was "
                "touched). Put the folder or file itself in its place",
                path=str(item),
            )
    manifest = _load_manifest(path)
    foreign = [p for p, kind in items if not _ours(path, p, kind)]
    if manifest is None or foreign:
        shown = ", ".join(repr(str(p.relative_to(path))) for p in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        what = f"it holds {shown}{more}, not written by rds_job_analytics" if foreign else ""
        if manifest is None:
            what = what or "it holds files"
            what += f" and has no {MANIFEST_NAME}"
        raise ConfigError(f"{str(path)!r} is not an rds_job_analytics dataset: {what}")
    found = {}
    for item, kind in items:
        rel = item.relative_to(path).parts
        if len(rel) == 4 and rel[3] == _PART_FILE:
            found["/".join(rel[:3])] = kind == "file"
    return _Folder(manifest, found)


def _walk(path: Path) -> Iterable[tuple[Path, str]]:
    """``(path, kind)`` of everything under ``path`` that is not a folder holding
    something: ``file`` (regular), ``link`` (a symbolic link, never followed), ``empty``
    (a folder holding nothing) or ``other`` (a FIFO, a socket, a device)."""
    todo = [path]
    while todo:
        here = todo.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:  # an unreadable folder: named, never a bare PermissionError
            raise ConfigError(
                f"dataset folder {str(here)!r} cannot be read: {exc.strerror or exc}"
            ) from exc
        if not entries and here != path:
            yield here, "empty"
        for e in entries:
            item = Path(e.path)
            if e.is_symlink():
                yield item, "link"
            elif e.is_dir(follow_symlinks=False):
                todo.append(item)
            else:
                yield item, "file" if e.is_file(follow_symlinks=False) else "other"


def _ours(path: Path, item: Path, kind: str) -> bool:
    rel = item.relative_to(path).parts
    if kind not in ("file", "empty"):
        return False
    if rel == (MANIFEST_NAME,) or (len(rel) == 1 and rel[0].startswith(_TMP_PREFIX)):
        return kind == "file"
    if len(rel) > 4 or not _layout_segments(rel[:3]):
        return False
    if len(rel) < 4:
        return kind == "empty"  # an empty folder left by a removed partition
    if rel[3] == _PART_FILE:
        return True  # a file, or an empty folder in its place (damage the export repairs)
    return rel[3].startswith(_TMP_PREFIX) and kind == "file"


def _sha256(file: Path) -> str:
    """SHA-256 of a file's bytes, read without following a link."""
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _damage(path: Path, folder: _Folder, key: str, entry: dict[str, Any]) -> str | None:
    """Why the file of partition ``key`` is not what ``entry`` lists (None: it is)."""
    if key not in folder.found:
        return "it is missing"
    if not folder.found[key]:
        return "a folder stands in its place"
    file = path / key / _PART_FILE
    size = _size(file)
    if size != entry["bytes"]:
        return f"it holds {size} bytes where the manifest lists {entry['bytes']}"
    if _sha256(file) != entry["sha256"]:
        return "its SHA-256 differs from the manifest's (damaged, or rewritten by another tool)"
    return None


def _damaged(path: Path, key: str, reason: str, remedy: str) -> DatasetDamaged:
    file = str(path / key / _PART_FILE)
    return DatasetDamaged(
        f"damaged dataset file {file!r}: {reason}; {remedy}", path=file, reason=reason
    )


_REWRITE = "an export of its month rewrites it from the source"
_STRAY = (
    "not in the manifest (a copy?); an export removes a byte-for-byte copy of a partition "
    "it lists, anything else is yours to move out"
)


# -- export --------------------------------------------------------------------------------
def _segment(value: Any) -> str:
    if value is None or pd.isna(value) or value == "":
        return NULL_PARTITION
    return quote(str(value), safe=" -_.~+@:,")  # engines percent-decode folder names


def _frame_of(source: Any, lo: Any, hi: Any) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        missing = [c for c in JOB_SCHEMA if c not in source.columns]
        if missing:
            raise ConfigError(
                f"the frame lacks the job column(s) {missing[:5]}: pass a normalized job "
                "frame (JobArchive.to_frame, normalize_jobs) or a JobArchive"
            )
        df = source
        if lo is not None:
            df = df[df["created"] >= lo]
        if hi is not None:
            df = df[df["created"] < hi]
        return df
    if hasattr(source, "to_frame"):
        return source.to_frame(start=lo, end=hi)
    raise ConfigError(
        f"export_dataset takes a JobArchive or a job frame, not {type(source).__name__}"
    )


def to_arrow(df: pd.DataFrame, columns: Sequence[str] | None = None) -> pa.Table:
    """A job frame as the dataset stores it: text and categories as strings, times as UTC
    microseconds, ``resource_ids`` and ``extra`` as JSON text.

    Parameters
    ----------
    df : pandas.DataFrame
        A normalized job frame.
    columns : sequence of str, optional
        The columns to convert, in order; default every column of ``JOB_SCHEMA``.

    Examples
    --------
    >>> from rds_job_analytics import load_sample
    >>> t = to_arrow(load_sample().head(2))
    >>> str(t.schema.field("created").type), str(t.schema.field("extra").type)
    ('timestamp[us, tz=UTC]', 'string')
    """
    arrays = []
    names = list(columns) if columns is not None else list(JOB_SCHEMA)
    for name in names:
        col = df[name]
        if name in _JSON_COLUMNS:
            values: Any = [_json_text(v) for v in col]
        elif isinstance(col.dtype, pd.CategoricalDtype):  # decoded: files hold plain text
            arrays.append(_decoded(pa.array(col.array), _ARROW_TYPES[name]))
            continue
        elif name in _TIME_COLUMNS:
            values = col.dt.as_unit("us")
        else:
            values = col
        arrays.append(pa.array(values, type=_ARROW_TYPES[name], from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=pa.schema([(n, _ARROW_TYPES[n]) for n in names]))


def _decoded(arr: pa.Array, to: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        if pa.types.is_null(arr.type.value_type):  # no categories: every value missing
            return pa.nulls(len(arr), to)
        arr = arr.dictionary_decode()
    return arr.cast(to)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _write_atomic(file: Path, data: bytes) -> None:
    """``data`` under a temporary name beside ``file``, renamed into place (a link at either
    name is never followed: opening refuses it, the rename replaces the link itself)."""
    tmp = file.with_name(f"{_TMP_PREFIX}{file.name}.{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    with open(os.open(tmp, flags, 0o666), "wb") as f:
        f.write(data)
    os.replace(tmp, file)


def _write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    if not manifest.get("pending"):  # nothing in flight: the manifest as before
        manifest = {k: v for k, v in manifest.items() if k != "pending"}
    data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    _write_atomic(path / MANIFEST_NAME, data)


def _in_window(key: str, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> bool:
    """Whether partition ``key`` lies inside the exported months (all, without bounds)."""
    if lo is None and hi is None:
        return True
    month = key.rsplit("month=", 1)[1]
    if not _MONTH.fullmatch(month):
        return False  # the null month (no creation time) is exported only without bounds
    first = pd.Timestamp(f"{month}-01", tz="UTC")
    return (lo is None or first >= lo) and (hi is None or first < hi)


def export_dataset(
    source: JobArchive | pd.DataFrame,
    path: str | Path,
    *,
    start: Any = None,
    end: Any = None,
) -> DatasetExport:
    """Write jobs as a hive-partitioned Parquet dataset (account/region/month), incrementally.

    Every partition is a whole month of one account and region: ``start`` and ``end`` are
    widened to whole months (UTC). A partition whose file would be byte-for-byte what the
    folder already holds is not written again (the manifest keeps each file's SHA-256);
    a partition of the exported months that has no rows any more is removed. Each file is
    written to a temporary name and renamed into place, so readers never see half a file.

    Parameters
    ----------
    source : JobArchive or pandas.DataFrame
        An archive (its :meth:`~rds_job_analytics.JobArchive.to_frame`), or a normalized job
        frame with every column of ``JOB_SCHEMA`` (``resource_ids``/``extra`` may hold
        lists/dicts).
    path : str or Path
        The dataset's folder: new, empty, or written by this function before; created
        with its parents. It may be a symbolic link; nothing under it may.
    start, end : str, datetime or Timestamp, optional
        Export only the months from ``start``'s to the one holding the instant before
        ``end`` (naive = UTC); partitions of other months are left alone. Jobs without a
        creation time (the null month) are exported only when both are None.

    Returns
    -------
    DatasetExport
        The partitions written, unchanged and removed, and the rows they hold.

    Raises
    ------
    ConfigError
        Naming the folder when it is a file or holds anything this function did not write
        (another dataset layout, other files: nothing is touched), or when the frame lacks
        job columns.
    DatasetUnsafe
        A :class:`ConfigError` naming a symbolic link under the folder (the folder itself
        may be one) or the manifest when it lists a key outside the partition layout
        (``../outside``): nothing is read, written or deleted.
    DatasetDamaged
        Naming a damaged file it cannot repair, before anything is written: one of a month
        outside ``[start, end)`` (an export of that month, or a whole one, repairs it), or a
        partition file the manifest does not list that is no byte-for-byte copy of one it
        does.

    Warns
    -----
    DatasetRepairedWarning
        Naming each file repaired (what the manifest lists is checked against the bytes:
        size and SHA-256): a damaged or missing partition of the exported months is
        written again from ``source``, a copy of a partition that the manifest does not
        list is deleted. They are also in the result's ``repaired``.

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import JobArchive
    >>> arc = JobArchive(":memory:")
    >>> arc.put({"job": {"id": "j1", "status": "Completed", "created": "2026-10-02T08:00:00Z"}},
    ...         project_id="p1", region="cn-north-4", account="prod")
    True
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print(export_dataset(arc, folder).written)
    ...     print(export_dataset(arc, folder))
    ('account=prod/region=cn-north-4/month=2026-10',)
    1 jobs in 1 partitions of ...: 0 written, 1 unchanged
    """
    path = expand_path(Path(path))
    folder = _check_folder(path, create=True)
    manifest = folder.manifest
    lo, hi = whole_months(start, end)
    df = _frame_of(source, lo, hi)
    path.mkdir(parents=True, exist_ok=True)
    if not (path / MANIFEST_NAME).exists():  # claim the folder before the first file lands
        _write_manifest(path, manifest)

    parts: dict[str, list[pd.DataFrame]] = {}
    by = [df["account"], df["region"], df["created"].dt.strftime("%Y-%m")]
    for (account, region, month), rows in df.groupby(by, dropna=False, observed=True):
        key = f"account={_segment(account)}/region={_segment(region)}/month={_segment(month)}"
        parts.setdefault(key, []).append(rows)  # "" and missing share the null partition
    known: dict[str, Any] = manifest["partitions"]
    pending: dict[str, Any] = manifest["pending"]  # left by an export that did not finish
    for key, entry in pending.items():  # what it did finish, it did: files are atomic
        if entry is None and key not in folder.found:
            known.pop(key, None)
        elif entry is not None and not _damage(path, folder, key, entry):
            known[key] = entry

    # the folder against the manifest, before anything is touched
    damaged = {k: why for k, e in known.items() if (why := _damage(path, folder, k, e))}
    ours = {e["sha256"] for e in (*known.values(), *pending.values()) if e}
    strays = sorted(k for k in folder.found if k not in known)
    for key in strays:  # ours when an unfinished export wrote it, or a copy of one of ours
        is_file = folder.found[key]  # else an empty folder in the file's place
        if key not in pending and is_file and _sha256(path / key / _PART_FILE) not in ours:
            raise _damaged(path, key, "a partition file the manifest does not list", _STRAY)
    for key, why in damaged.items():
        if not _in_window(key, lo, hi):
            raise _damaged(
                path, key, why, "an export of its month (or one without start= and end=) "
                "rewrites it from the source; nothing was written",
            )  # fmt: skip

    # the files to write, held until the manifest lists them as pending (their bytes are
    # a few percent of the frame already in memory)
    plan: dict[str, tuple[bytes, dict[str, Any]]] = {}
    unchanged = []
    for key in sorted(parts):
        rows = parts[key][0] if len(parts[key]) == 1 else pd.concat(parts[key])
        part = rows.sort_values(_ORDER, na_position="first", kind="stable")
        data = _parquet_bytes(to_arrow(part, _FILE_COLUMNS))
        digest = hashlib.sha256(data).hexdigest()
        entry = known.get(key)
        if entry and entry["sha256"] == digest and key not in damaged:
            unchanged.append(key)
            continue
        plan[key] = (data, {"sha256": digest, "rows": len(part), "bytes": len(data)})
    removed = sorted(k for k in known if k not in parts and _in_window(k, lo, hi))
    gone = [k for k in strays if k not in parts]  # proven ours above, and no rows
    changes = {**dict.fromkeys([*removed, *gone]), **{k: e for k, (_, e) in plan.items()}}
    if changes:  # say what is about to change: a crash leaves these files provably ours
        _write_manifest(path, {**manifest, "pending": changes})
    for key, (data, entry) in plan.items():
        _write_partition(path, key, data)
        known[key] = entry
    for key in (*removed, *gone):
        _remove_partition(path, key)
        known.pop(key, None)
    manifest["pending"] = {}
    _write_manifest(path, manifest)
    repaired = sorted({*damaged, *strays})  # every damaged one is in the window by now
    if repaired:
        why = {k: "left by an export that did not finish" for k in strays if k in pending}
        why |= {k: "a copy of a partition, not in the manifest" for k in strays if k not in why}
        why |= damaged
        shown = "; ".join(f"{str(path / k / _PART_FILE)!r}: {why[k]}" for k in repaired[:3])
        more = f"; and {len(repaired) - 3} more" if len(repaired) > 3 else ""
        warnings.warn(
            f"repaired {len(repaired)} damaged partition file(s) of {str(path)!r}: {shown}{more}",
            DatasetRepairedWarning, stacklevel=2,
        )  # fmt: skip
    return DatasetExport(
        path, len(df), tuple(plan), tuple(unchanged), tuple(removed + gone), tuple(repaired)
    )


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return -1


def _folder_of(path: Path, key: str) -> Path:
    """The partition's folder, created as real folders (a link found there is refused)."""
    folder = path
    for seg in key.split("/"):
        folder = folder / seg
        try:
            folder.mkdir()
        except FileExistsError:
            pass
        if folder.is_symlink() or not folder.is_dir():
            raise DatasetUnsafe(
                f"{str(folder)!r} in the dataset {str(path)!r} is not a plain folder "
                "(a symbolic link appeared): refused", path=str(folder),
            )  # fmt: skip
    return folder


def _write_partition(path: Path, key: str, data: bytes) -> None:
    file = _folder_of(path, key) / _PART_FILE
    _remove_folder_in_place_of(file)
    _write_atomic(file, data)


def _remove_folder_in_place_of(file: Path) -> bool:
    """Remove the empty folder standing where a partition file should be (damage the
    export repairs; anything in it was refused before): whether there was one."""
    if file.is_dir() and not file.is_symlink():
        file.rmdir()
        return True
    return False


def _remove_partition(path: Path, key: str) -> None:
    """Delete the partition's file (or the empty folder in its place) and the folders it
    leaves empty, up to the dataset's; ``key`` is a checked layout key."""
    folder = path / key
    file = folder / _PART_FILE
    if not _remove_folder_in_place_of(file):
        file.unlink(missing_ok=True)  # never follows a link
    while folder != path:  # the emptied folders up to the dataset's
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


# -- read -----------------------------------------------------------------------------------
def _dataset(path: Path, where: ds.Expression | None = None) -> ds.Dataset:
    """The dataset at ``path``, checked: the partition files are exactly the manifest's
    (none missing, none unlisted), and those ``where`` selects (all without it) hold the
    bytes the manifest lists (SHA-256) in the file schema. DatasetDamaged names the first
    file that does not, after a second look (an export may have replaced a file between
    reading the manifest and hashing the file)."""
    path = expand_path(path)
    try:
        return _checked_dataset(path, where)
    except DatasetDamaged:
        return _checked_dataset(path, where)


def _checked_dataset(path: Path, where: ds.Expression | None) -> ds.Dataset:
    folder = _check_folder(path, create=False)
    for key in folder.found:
        if folder.found[key] and key not in folder.manifest["partitions"]:
            if key not in folder.manifest["pending"]:  # else an export is writing it
                raise _damaged(path, key, "a partition file the manifest does not list", _STRAY)
    for key, entry in folder.manifest["partitions"].items():
        if not folder.found.get(key) and folder.manifest["pending"].get(key, entry):
            why = "it is missing" if key not in folder.found else "a folder stands in its place"
            raise _damaged(path, key, why, _REWRITE)
    dataset = ds.dataset(
        str(path),
        schema=pa.schema([*_FILE_SCHEMA, *PARTITION_SCHEMA]),
        format="parquet",
        partitioning=_PARTITIONING,
        exclude_invalid_files=False,
    )
    for fragment in dataset.get_fragments(filter=where):
        key = "/".join(Path(fragment.path).relative_to(path).parts[:3])
        _verify(path, folder, key, fragment)
    return dataset


def _verify(path: Path, folder: _Folder, key: str, fragment: ds.Fragment) -> None:
    """DatasetDamaged unless the file of ``key`` is what the manifest lists (or what an
    export in progress is writing there), in the file schema."""
    entries = [folder.manifest[s].get(key) for s in ("partitions", "pending")]
    reasons = [why for e in entries if e and (why := _damage(path, folder, key, e))]
    if len(reasons) == len([e for e in entries if e]):  # matches none of them
        if not reasons:  # unlisted, and an export in progress is removing it
            reasons = ["a partition file the manifest does not list"]
        raise _damaged(path, key, reasons[0], _REWRITE)
    try:
        schema = fragment.physical_schema.remove_metadata()
    except (OSError, pa.ArrowException) as exc:  # pragma: no cover - its bytes were checked
        raise _damaged(path, key, f"unreadable ({exc})", _REWRITE) from exc
    if not schema.equals(_FILE_SCHEMA):
        want = {f.name: f.type for f in _FILE_SCHEMA}
        have = {f.name: f.type for f in schema}
        diff = [n for n in want if have.get(n) != want[n]] + [n for n in have if n not in want]
        why = f"its columns differ from the dataset's ({', '.join(diff[:5]) or 'their order'})"
        raise _damaged(path, key, why, _REWRITE)


def _isin(name: str, value: str | Iterable[str]) -> ds.Expression:
    values = [value] if isinstance(value, str) else list(value)
    return pc.field(name).isin(values)


def _filter(
    start: Any, end: Any, account: Any, region: Any, project_id: Any, filters: Any
) -> ds.Expression | None:
    parts: list[ds.Expression] = []
    for name, value in (("account", account), ("region", region), ("project_id", project_id)):
        if value is not None:
            parts.append(_isin(name, value))
    if start is not None:
        lo = to_utc(start)
        parts += [pc.field("month") >= lo.strftime("%Y-%m"), pc.field("created") >= lo]
    if end is not None:
        hi = to_utc(end)
        parts += [pc.field("month") <= hi.strftime("%Y-%m"), pc.field("created") < hi]
    if filters is not None:
        parts.append(
            filters if isinstance(filters, ds.Expression) else pq.filters_to_expression(filters)
        )
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def read_jobs(
    path: str | Path,
    *,
    start: Any = None,
    end: Any = None,
    account: str | Iterable[str] | None = None,
    region: str | Iterable[str] | None = None,
    project_id: str | Iterable[str] | None = None,
    filters: Any = None,
) -> pd.DataFrame:
    """Read a dataset written by :func:`export_dataset` into the normalized frame, checked.

    The frame has exactly the columns and dtypes of ``JOB_SCHEMA`` (the null partition
    reads back as a missing account or region; ``resource_ids`` and ``extra`` as lists and
    dicts again), sorted by ``created`` (missing first), ``project_id`` and ``job_id``.
    Every filter is pushed down to ``pyarrow.dataset``: the account, region and the months
    of ``[start, end)`` prune whole partitions, the rest is filtered while reading.

    Parameters
    ----------
    path : str or Path
        The dataset's folder.
    start, end : str, datetime or Timestamp, optional
        Jobs created in ``[start, end)`` (naive = UTC).
    account, region, project_id : str or list of str, optional
        Only these values.
    filters : pyarrow.dataset.Expression or list of tuples, optional
        More conditions on the stored columns, as an expression
        (``pyarrow.compute.field("status") == "Failed"``) or pyarrow's DNF tuples
        (``[("status", "==", "Failed")]``); times compare as UTC timestamps.

    Returns
    -------
    pandas.DataFrame
        The normalized job frame (empty but with every column when nothing matches).

    Raises
    ------
    ConfigError
        Naming the folder when it does not exist, is empty, or is not a dataset this
        package wrote.
    DatasetUnsafe
        A :class:`ConfigError` naming a symbolic link under the folder, or a manifest key
        outside the partition layout.
    DatasetDamaged
        Naming the file, when a partition the manifest lists is missing or a folder, a
        partition file is not in the manifest (a copy), or a file read (those the filters
        select) does not hold the bytes the manifest lists (size and SHA-256, always
        checked: about 3% of a whole read) or the dataset's columns. ``export_dataset``
        repairs them.

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import load_sample
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = export_dataset(load_sample(), folder)
    ...     failed = read_jobs(folder, filters=[("status", "==", "Failed")])
    >>> failed["status"].unique().tolist(), failed["status"].dtype
    (['Failed'], CategoricalDtype(categories=['Running', 'Completed', 'Failed'], ordered=False, categories_dtype=str))
    """
    expr = _filter(start, end, account, region, project_id, filters)
    dataset = _dataset(Path(path), expr)
    table = dataset.to_table(columns=list(JOB_SCHEMA), filter=expr)
    return from_arrow(table)


def from_arrow(table: pa.Table) -> pd.DataFrame:
    """The dataset's arrow table (every ``JOB_SCHEMA`` column) back to the normalized frame.

    Examples
    --------
    >>> from rds_job_analytics import load_sample
    >>> df = load_sample().head(3)
    >>> back = from_arrow(to_arrow(df))
    >>> back["job_id"].tolist() == df["job_id"].tolist(), back["created"].dtype
    (True, datetime64[ns, UTC])
    """
    if table.num_rows == 0:
        return empty_jobs_frame()
    data: dict[str, Any] = {}
    for name, dtype in JOB_SCHEMA.items():
        col = table.column(name)
        if name in _JSON_COLUMNS:
            data[name] = np.array(
                [None if v is None else orjson.loads(v) for v in col.to_pylist()], dtype=object
            )
        elif name in _TIME_COLUMNS:
            data[name] = col.to_pandas().dt.as_unit("ns")
        elif isinstance(dtype, pd.CategoricalDtype):  # fixed categories (``source``)
            data[name] = pd.Categorical(col.to_numpy(zero_copy_only=False), dtype=dtype)
        elif dtype == CATEGORY:
            data[name] = _categorical(col)
        elif dtype == OBJECT:  # pragma: no cover - every object column is a JSON column
            data[name] = col.to_numpy(zero_copy_only=False)
        elif dtype == TEXT:
            data[name] = pd.array(col, dtype=TEXT)
        else:
            data[name] = col.to_numpy(zero_copy_only=False).astype(dtype)
    df = frame_from_columns(data)
    return df.sort_values(_ORDER, na_position="first", kind="stable", ignore_index=True)


def _categorical(col: pa.ChunkedArray) -> pd.Categorical:
    """Strings -> categorical with the sorted distinct values as categories (their dtype
    inferred as ``pd.Categorical`` infers it, like the normalizer's)."""
    enc = col.combine_chunks().dictionary_encode()
    cats = np.array(enc.dictionary.to_pylist(), dtype=object)
    order = np.argsort(cats, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    codes = np.where(codes >= 0, rank[np.maximum(codes, 0)] if len(rank) else -1, -1)
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(cats[order])))
