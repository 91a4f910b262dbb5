"""Open tables: the normalized jobs as an Iceberg or a Delta table, merged incrementally.

:func:`to_table` merges an archive (or any job frame) into a table partitioned by account,
region and month of ``created`` (UTC), keyed on ``(project_id, job_id)``; :func:`read_table`
reads it back into the normalized frame. The columns are stored as the open dataset stores
them (:func:`~rds_job_analytics.export._dataset.to_arrow`: text and categories as strings, times
as UTC microseconds, ``resource_ids`` and ``extra`` as JSON text) and read back through
:func:`~rds_job_analytics.export._dataset.from_arrow`, so the three agree by construction.

Each run compares the rows it brings with the table's rows of the same keys and writes
only the new and the changed ones, in one commit (one Iceberg catalog commit, one Delta
version): a rerun with nothing new commits nothing. From an archive, a run after the
first reads only the jobs the archive stored or refreshed since the last commit (its
``fetched_at`` after the mark kept in the table's commit metadata, less
:data:`MARK_LAG`), and the table's rows of their partitions only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._validate import expand_path
from ..exceptions import ConfigError
from ..normalize import schema as _schema
from . import _dataset as _ds

if TYPE_CHECKING:
    from ..store import JobArchive

#: The table formats :func:`to_table` writes.
TABLE_FORMATS = ("iceberg", "delta")
#: The Iceberg table's identifier in its catalog (namespace ``rds_jobs``).
ICEBERG_TABLE = "rds_jobs.jobs"
#: The catalog's name (pyiceberg's SQL catalog keeps it in every row: open the catalog
#: under this name to find the table, ``SqlCatalog("rds_jobs", uri=...)``).
CATALOG_NAME = "rds_jobs"
#: The SQLite catalog file inside the table's location, used when the source has no
#: database to hold the catalog (a frame, an in-memory archive).
CATALOG_FILE = "_rds_jobs_catalog.sqlite"
#: The key a run merges on.
TABLE_KEY = ("project_id", "job_id")
#: Commit metadata key: the archive's latest ``fetched_at`` that the commit includes.
FETCHED_MARK = "rds-jobs.fetched-mark"
#: How far before the mark a run re-reads the archive: ``fetched_at`` is stamped when a
#: row is built, not when it is committed, so a row committed after a run with an older
#: stamp (fleet threads, an open PostgreSQL transaction, clocks of two machines, or
#: ``put(fetched_at=...)``) would fall behind the mark for good. Rows re-read unchanged
#: are no-ops in the merge.
MARK_LAG = timedelta(hours=1)
#: The partition column both formats add: the month of ``created``, ``YYYY-MM`` (UTC), as
#: the dataset's ``month=`` folders (an identity partition: Iceberg's month transform
#: would need the Rust ``pyiceberg-core``). :func:`read_table` leaves it out.
_MONTH = "month"
_EXTRA = {"iceberg": "iceberg", "delta": "delta"}


@dataclass(frozen=True)
class TableExport:
    """What :func:`to_table` did: rows considered, inserted and updated, and whether it
    committed (``version``: the Iceberg snapshot ID or the Delta version, after the run).

    Examples
    --------
    >>> print(TableExport("lake/jobs", "delta", 5, 2, 1, True, 3))
    delta table lake/jobs: 5 jobs compared, 2 inserted, 1 updated (version 3)
    """

    location: str
    format: str
    rows: int
    inserted: int
    updated: int
    committed: bool
    version: int | None
    columns_added: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        added = f", column(s) added: {', '.join(self.columns_added)}" if self.columns_added else ""
        what = f"(version {self.version})" if self.committed else "(nothing new: no commit)"
        return (
            f"{self.format} table {self.location}: {self.rows} jobs compared, "
            f"{self.inserted} inserted, {self.updated} updated{added} {what}"
        )


def _need(fmt: str) -> Any:
    """The format's library, or an ImportError naming the extra."""
    try:
        if fmt == "iceberg":
            import pyiceberg.catalog.sql as mod
        else:
            import deltalake as mod
    except ImportError as exc:
        raise ImportError(
            f"{fmt} tables need an extra: pip install 'rds-job-analytics[{_EXTRA[fmt]}]'"
        ) from exc
    return mod


def _format(fmt: Any) -> str:
    if fmt not in TABLE_FORMATS:
        raise ConfigError(f"table format must be one of {TABLE_FORMATS}, not {fmt!r}")
    return fmt


def _location(location: str | Path) -> str:
    text = str(location)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):  # s3://, gs://, file://...
        return text
    return str(expand_path(Path(text)).absolute())


# -- the columns -----------------------------------------------------------------------------
def _columns() -> list[str]:
    return list(_schema.JOB_SCHEMA)  # at call time: the field table's columns of today


def _arrow(df: pd.DataFrame, fmt: str) -> pa.Table:
    """The frame as the table stores it, plus its ``month`` partition column."""
    table = _ds.to_arrow(df, _columns())
    month = pc.strftime(table.column("created"), format="%Y-%m")
    return table.append_column(pa.field(_MONTH, pa.string()), month)


def _source_frame(source: Any, mark: str | None) -> tuple[pd.DataFrame, str | None]:
    """The rows to compare, and the archive's newest ``fetched_at`` they include. After
    the first run: only the jobs with a record fetched since the mark less
    :data:`MARK_LAG` (the changed keys), whatever their creation time."""
    if isinstance(source, pd.DataFrame):
        return _ds._frame_of(source, None, None), None
    if not hasattr(source, "to_frame") or not hasattr(source, "jobs_fetched_since"):
        raise ConfigError(
            f"to_table takes a JobArchive or a job frame, not {type(source).__name__}"
        )
    # read before the frame: a row stored in between is compared again next run
    newest = source.newest_fetched_at(None if mark is None else _since(mark))
    if mark is None:
        return source.to_frame(), newest
    if newest is None:  # nothing stored or refreshed since the mark
        return _schema.empty_jobs_frame(), mark
    return source.jobs_fetched_since(_since(mark)), max(newest, mark)


def _since(mark: str) -> str:
    """The ``fetched_at`` a run re-reads from: :data:`MARK_LAG` before the mark."""
    return (datetime.fromisoformat(mark) - MARK_LAG).isoformat()


def _changes(incoming: pa.Table, existing: pa.Table) -> tuple[pa.Table, int]:
    """The incoming rows that are new or differ from the table's row of their key, and
    how many of them update a row (a column the table lacks compares as null)."""
    if existing.num_rows == 0:
        return incoming, 0
    cols = [c for c in incoming.column_names if c not in TABLE_KEY]
    old = {}
    for c in cols:
        old[f"__old_{c}"] = (
            existing.column(c)
            if c in existing.column_names
            else pa.nulls(existing.num_rows, incoming.schema.field(c).type)
        )
    right = pa.table(
        {**dict(zip(TABLE_KEY, _keys(existing), strict=True)), **old,
         "__found": pa.array([True] * existing.num_rows)}
    )  # fmt: skip
    left = pa.table(
        {**dict(zip(TABLE_KEY, _keys(incoming), strict=True)),
         "__row": pa.array(range(incoming.num_rows), pa.int64())}
    )  # fmt: skip
    joined = left.join(right, keys=list(TABLE_KEY), join_type="left outer")
    rows = joined.column("__row").combine_chunks()
    found = pc.fill_null(joined.column("__found"), False)
    differs = pc.invert(found)
    for c in cols:
        new = pc.take(incoming.column(c), rows)
        was = joined.column(f"__old_{c}")
        same = pc.fill_null(pc.equal(new, was), False)
        both_null = pc.and_(pc.is_null(new), pc.is_null(was))
        differs = pc.or_(differs, pc.invert(pc.or_(same, both_null)))
    picked = pc.filter(rows, differs)
    updated = pc.sum(pc.cast(pc.and_(differs, found), pa.int64())).as_py() or 0
    return incoming.take(pc.take(picked, pc.sort_indices(picked))), updated


def _check_unique(incoming: pa.Table) -> None:
    keys = incoming.select(list(TABLE_KEY)).group_by(list(TABLE_KEY)).aggregate([([], "count_all")])
    dup = keys.filter(pc.greater(keys.column("count_all"), 1))
    if dup.num_rows:
        first = dup.slice(0, 1).to_pylist()[0]
        raise ConfigError(
            f"the frame holds {dup.num_rows} (project_id, job_id) key(s) more than once, "
            f"e.g. ({first['project_id']!r}, {first['job_id']!r}): a table keeps one row a job"
        )


def _key_filter(incoming: pa.Table) -> Any:
    """A pyarrow filter selecting (a superset of) the table's rows with incoming's keys."""
    ids = pc.unique(incoming.column("job_id")).drop_null()
    projects = pc.unique(incoming.column("project_id"))
    where = pc.field("project_id").isin(projects.drop_null())
    if projects.null_count:
        where = where | pc.field("project_id").is_null()
    return pc.field("job_id").isin(ids) & where


def _partition_filter(rows: pa.Table, schema: pa.Schema) -> Any:
    """A pyarrow filter on the partitions ``rows`` fall in, or the null ones (where a row
    of theirs may have been before, as :func:`_iceberg_partitions`): the reader opens
    only those partitions' files."""
    where: Any = None
    for name in _ds.PARTITION_KEYS:
        values = pc.unique(rows.column(name)).drop_null().cast(schema.field(name).type)
        one = pc.field(name).isin(values) | pc.field(name).is_null()
        where = one if where is None else where & one
    return where


def _keys(table: pa.Table) -> list[pa.Array]:
    """The key columns to join on: a missing project (a frame without origin) as a value
    no project ID takes, so it matches itself."""
    return [pc.fill_null(table.column(k), "\x00") for k in TABLE_KEY]


# -- catalogs and secrets --------------------------------------------------------------------
def _scrub(text: str, uri: str | None) -> str:
    from ..store import mask_url as _masked
    from ..store import url_passwords as _passwords

    if uri:
        text = text.replace(uri, _masked(uri))
        for secret in _passwords(uri):
            text = text.replace(secret, "***")
    return text


def _catalog_uri(catalog: Any, source: Any, location: str) -> str:
    """The SQL catalog's SQLAlchemy URI: given, else the archive's own database, else a
    SQLite file in the location. A PostgreSQL URL becomes the URL an archive's engine
    connects with (:func:`~rds_job_analytics.store.pg_engine_url`)."""
    from ..store import PG_SCHEMES, JobArchive, pg_engine_url, url_scheme

    if catalog is None and isinstance(source, JobArchive):
        catalog = source
    if isinstance(catalog, JobArchive):
        uri = catalog.sqlalchemy_url(hide_password=False)
        if uri is not None:
            return uri
        catalog = None  # an in-memory archive: a catalog file in the location
    if catalog is None:
        if "://" in location and not location.startswith("file://"):
            raise ConfigError(
                f"an Iceberg table at {location!r} needs catalog= (a SQL catalog URI) when the "
                "source has no database to hold the catalog"
            )
        folder = Path(location.removeprefix("file://"))
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / CATALOG_FILE}"
    uri = str(catalog)
    if url_scheme(uri) in PG_SCHEMES:  # as the archive's engine connects to it
        uri = pg_engine_url(uri)
    elif "://" not in uri:  # a path: an SQLite catalog (an archive file, or a new one)
        uri = "sqlite:///" + str(expand_path(Path(uri)).absolute())
    return uri


def _open_catalog(uri: str, location: str) -> Any:
    sql = _need("iceberg")
    try:
        return sql.SqlCatalog(CATALOG_NAME, uri=uri, warehouse=location)
    except Exception as exc:
        from ..store import mask_url as _masked

        raise ConfigError(
            f"cannot open the Iceberg catalog {_masked(uri)!r}: "
            f"{_scrub(str(exc), uri)} ({type(exc).__name__})"
        ) from None


# -- Iceberg ---------------------------------------------------------------------------------
def _iceberg_table(cat: Any, location: str) -> Any | None:
    from pyiceberg.exceptions import NoSuchTableError

    try:
        table = cat.load_table(ICEBERG_TABLE)
    except NoSuchTableError:
        return None
    if table.location().rstrip("/").removeprefix("file://") != location.rstrip("/").removeprefix(
        "file://"
    ):
        raise ConfigError(
            f"the catalog's table {ICEBERG_TABLE!r} is at {table.location()!r}, not "
            f"{location!r}: one catalog holds one job table"
        )
    return table


def _iceberg_mark(table: Any) -> str | None:
    snap = table.current_snapshot()
    return None if snap is None else snap.summary.get(FETCHED_MARK)


def _iceberg_write(cat: Any, table: Any, location: str, df_source: Any) -> TableExport:
    from pyiceberg.transforms import IdentityTransform

    frame, mark = _source_frame(df_source, None if table is None else _iceberg_mark(table))
    incoming = _arrow(frame, "iceberg")
    _check_unique(incoming)
    props = {FETCHED_MARK: mark} if mark else {}
    if table is None:
        cat.create_namespace_if_not_exists("rds_jobs")
        tx = cat.create_table_transaction(ICEBERG_TABLE, schema=incoming.schema, location=location)
        with tx.update_spec() as spec:
            for name in _ds.PARTITION_KEYS:
                spec.add_field(name, IdentityTransform(), name)
        if incoming.num_rows:
            tx.append(incoming, snapshot_properties=props)
        tx.commit_transaction()
        table = cat.load_table(ICEBERG_TABLE)
        snap = table.current_snapshot()
        return TableExport(location, "iceberg", len(frame), incoming.num_rows, 0, True,
                           None if snap is None else snap.snapshot_id)  # fmt: skip
    have = set(table.schema().column_names)
    added = tuple(c for c in incoming.column_names if c not in have)
    existing = pa.table({k: pa.array([], pa.string()) for k in TABLE_KEY})
    if incoming.num_rows:
        existing = _iceberg_rows(table, incoming)
    changed, updated = _changes(incoming, existing)
    if not changed.num_rows and not added:
        snap = table.current_snapshot()
        return TableExport(location, "iceberg", len(frame), 0, 0, False,
                           None if snap is None else snap.snapshot_id)  # fmt: skip
    rewritten = 0  # rows the delete took besides the updated ones, appended again
    with table.transaction() as tx:
        if added:
            with tx.update_schema() as update:
                update.union_by_name(incoming.schema)
        if updated:
            where, kept = _iceberg_delete(existing, changed)
            tx.delete(where)
            rewritten = kept.num_rows
            changed = pa.concat_tables([changed, _conform(kept, changed.schema)])
        if changed.num_rows:
            tx.append(changed, snapshot_properties=props)
    snap = table.current_snapshot()
    inserted = changed.num_rows - updated - rewritten
    return TableExport(location, "iceberg", len(frame), inserted, updated,
                       True, None if snap is None else snap.snapshot_id, added)  # fmt: skip


def _in_table(rows: pa.Table, existing: pa.Table) -> pa.Array:
    """Mask of ``rows`` whose key is in ``existing``."""
    key = pc.binary_join_element_wise(*_keys(rows), "\x1f")
    have = pc.binary_join_element_wise(*_keys(existing), "\x1f")
    return pc.is_in(key, value_set=have)


def _iceberg_delete(existing: pa.Table, changed: pa.Table) -> tuple[Any, pa.Table]:
    """The delete filter for the table's rows that ``changed`` replaces, and the rows it
    deletes besides them (to append again unchanged). The filter is the rows' partitions,
    projects and job IDs, each a set: a filter per key would be exact but pyiceberg binds
    it to every file, which costs more than a few rows written twice."""
    from pyiceberg.expressions import And

    old = existing.filter(_in_table(existing, changed))  # where the rows are now
    where, mask = None, None
    for name in (*_ds.PARTITION_KEYS, *TABLE_KEY):
        ice, arrow = _one_of(name, pc.unique(old.column(name)), existing)
        where = ice if where is None else And(where, ice)
        mask = arrow if mask is None else pc.and_(mask, arrow)
    kept = existing.filter(pc.and_(mask, pc.invert(_in_table(existing, changed))))
    return where, kept


def _one_of(name: str, values: pa.Array, rows: pa.Table) -> tuple[Any, pa.Array]:
    """``name`` is one of ``values`` (null when they hold one): as an Iceberg filter, and
    as a mask of ``rows``."""
    from pyiceberg.expressions import In, IsNull, Or

    present = values.drop_null()
    ice: Any = In(name, present.to_pylist())
    mask = pc.fill_null(pc.is_in(rows.column(name), value_set=present), False)
    if values.null_count:
        ice = Or(ice, IsNull(name)) if len(present) else IsNull(name)
        mask = pc.or_(mask, pc.is_null(rows.column(name)))
    return ice, mask


def _conform(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """``rows`` in ``schema``'s columns (a column they lack as nulls)."""
    cols = [
        rows.column(f.name).cast(f.type) if f.name in rows.column_names
        else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]  # fmt: skip
    return pa.Table.from_arrays(cols, schema=schema)


def _iceberg_partitions(rows: pa.Table, *, or_null: bool = False) -> Any:
    """An Iceberg filter on the partitions ``rows`` fall in (each key's values, or null;
    ``or_null``: null as well, where a row of theirs may have been before: the archive
    learns an account or a creation time later, never forgets one). pyiceberg then opens
    only those partitions' files."""
    from pyiceberg.expressions import And, IsNull, Or

    where: Any = None
    for name in _ds.PARTITION_KEYS:
        values = pc.unique(rows.column(name))
        ice, _ = _one_of(name, values, rows)
        if or_null and not values.null_count:
            ice = Or(ice, IsNull(name))
        where = ice if where is None else And(where, ice)
    return where


def _iceberg_rows(table: Any, incoming: pa.Table) -> pa.Table:
    """The table's rows of incoming's partitions (a filter on thousands of keys costs
    pyiceberg more to bind per file than reading the partitions); the exact key match is
    the join in :func:`_changes`."""
    return table.scan(row_filter=_iceberg_partitions(incoming, or_null=True)).to_arrow()


# -- Delta -----------------------------------------------------------------------------------
def _delta_write(location: str, source: Any, options: dict[str, Any] | None) -> TableExport:
    dl = _need("delta")
    try:
        table = dl.DeltaTable(location, storage_options=options)
    except dl.exceptions.TableNotFoundError:
        table = None
    mark = None
    if table is not None:
        last = table.history(1)
        mark = last[0].get(FETCHED_MARK) if last else None
    frame, mark = _source_frame(source, mark)
    incoming = _arrow(frame, "delta")
    _check_unique(incoming)
    meta = dl.CommitProperties(custom_metadata={FETCHED_MARK: mark} if mark else None)
    if table is None:
        dl.write_deltalake(location, incoming, partition_by=list(_ds.PARTITION_KEYS),
                           storage_options=options, commit_properties=meta)  # fmt: skip
        return TableExport(location, "delta", len(frame), incoming.num_rows, 0, True, 0)
    have = set(table.schema().to_arrow().names)
    added = tuple(c for c in incoming.column_names if c not in have)
    data = table.to_pyarrow_dataset()
    # the partitions' files, then the keys in memory (a key filter pushed down to the
    # files meets the string_view statistics of the files a merge wrote: pyarrow fails)
    existing = data.to_table(filter=_partition_filter(incoming, data.schema))
    existing = existing.filter(_key_filter(incoming))
    changed, updated = _changes(incoming, existing)
    if not changed.num_rows and not added:
        return TableExport(location, "delta", len(frame), 0, 0, False, table.version())
    if not changed.num_rows:  # a new column and no new rows: the schema alone
        changed = incoming.slice(0, 0)
    (
        table.merge(
            changed,
            predicate=_delta_match(changed),
            source_alias="s",
            target_alias="t",
            merge_schema=bool(added),
            commit_properties=meta,
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    return TableExport(location, "delta", len(frame), changed.num_rows - updated, updated, True,
                       table.version(), added)  # fmt: skip


def _delta_match(rows: pa.Table) -> str:
    """The merge's key predicate (a missing project matches a missing project; plain
    equality when every row has one, as an archive's do, so files are pruned)."""
    same = "t.project_id = s.project_id"
    if rows.column("project_id").null_count:
        same = f"({same} OR (t.project_id IS NULL AND s.project_id IS NULL))"
    return f"{same} AND t.job_id = s.job_id"


# -- the public functions --------------------------------------------------------------------
def to_table(
    source: JobArchive | pd.DataFrame,
    location: str | Path,
    *,
    format: str = "iceberg",
    catalog: Any = None,
    storage_options: dict[str, str] | None = None,
) -> TableExport:
    """Merge jobs into an Iceberg or a Delta table, partitioned by account, region and month.

    Rows are merged on ``(project_id, job_id)``: a new job is inserted, a job whose row
    changed (a Running job that finished) is updated, an unchanged one is not written;
    everything in one commit, and a rerun with nothing new commits nothing. A column the
    table lacks (a new column of the field table) is added to the table's schema (old rows
    read back null), not rewritten.

    Parameters
    ----------
    source : JobArchive or pandas.DataFrame
        An archive, or a normalized job frame with every column of ``JOB_SCHEMA`` and one
        row per key. From an archive, runs after the first read only the jobs stored or
        refreshed since the last commit, less :data:`MARK_LAG` (the changed keys, whatever
        their creation time), and compare them with the table's rows of their partitions.
    location : str or Path
        The table's folder (or an object-store URI the format's library reaches).
    format : {"iceberg", "delta"}
        The table format.
    catalog : str, Path or JobArchive, optional
        Iceberg only: the SQL catalog (a SQLAlchemy URI such as ``sqlite:///cat.db`` or
        ``postgresql://user:pw@host/db``, or an archive). Default: the archive's own
        database (SQLite file or PostgreSQL), else :data:`CATALOG_FILE` in ``location``.
    storage_options : dict, optional
        Delta only: the object store's options (credentials stay out of messages).

    Returns
    -------
    TableExport
        Rows compared, inserted, updated, and the version committed.

    Raises
    ------
    ConfigError
        An unknown format, a frame lacking columns or holding a key twice, a catalog that
        cannot be opened (its password masked), a catalog whose job table is elsewhere.
    ImportError
        The format's library is missing (``pip install 'rds-job-analytics[iceberg]'`` or
        ``[delta]``).

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import load_sample
    >>> df = load_sample()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = to_table(df, folder, format="delta")
    ...     again = to_table(df, folder, format="delta")
    ...     back = read_table(folder, format="delta")
    >>> first.inserted, again.committed, len(back) == len(df)
    (5000, False, True)
    """
    fmt = _format(format)
    where = _location(location)
    if fmt == "delta":
        if catalog is not None:
            raise ConfigError("catalog= is for Iceberg tables; a Delta table is its own log")
        return _delta_write(where, source, storage_options)
    uri = _catalog_uri(catalog, source, where)
    cat = _open_catalog(uri, where)
    return _iceberg_write(cat, _iceberg_table(cat, where), where, source)


def read_table(
    location: str | Path,
    *,
    format: str = "iceberg",
    catalog: Any = None,
    filters: Any = None,
    storage_options: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a table written by :func:`to_table` into the normalized frame.

    The frame has exactly the columns and dtypes of ``JOB_SCHEMA`` (a column the table
    does not have yet reads as missing values), sorted by ``created`` (missing first),
    ``project_id`` and ``job_id``, as :func:`~rds_job_analytics.export._dataset.read_jobs` reads.

    Parameters
    ----------
    location : str or Path
        The table's folder or URI.
    format : {"iceberg", "delta"}
        The table format.
    catalog : str, Path or JobArchive, optional
        Iceberg: the catalog ``to_table`` used (default: :data:`CATALOG_FILE` in the
        location when there is one, else the newest metadata file in the location).
    filters : pyarrow.dataset.Expression, optional
        A condition on the stored columns (``pyarrow.compute.field("status") == "Failed"``).
    storage_options : dict, optional
        Delta only: the object store's options.

    Examples
    --------
    >>> import tempfile
    >>> from rds_job_analytics import load_sample
    >>> import pyarrow.compute as pc
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = to_table(load_sample(), folder, format="delta")
    ...     failed = read_table(folder, format="delta", filters=pc.field("status") == "Failed")
    >>> failed["status"].unique().tolist()
    ['Failed']
    """
    fmt = _format(format)
    where = _location(location)
    if fmt == "delta":
        dl = _need("delta")
        try:
            table = dl.DeltaTable(where, storage_options=storage_options)
        except dl.exceptions.TableNotFoundError:
            raise ConfigError(f"no Delta table at {where!r}") from None
        data = table.to_pyarrow_dataset().to_table(filter=filters)
    else:
        ice = _iceberg_read_table(where, catalog)
        data = ice.scan().to_arrow()
        if filters is not None:
            data = data.filter(filters)
    return _frame(data)


def _iceberg_read_table(where: str, catalog: Any) -> Any:
    _need("iceberg")
    local = Path(where.removeprefix("file://"))
    if catalog is None and (local / CATALOG_FILE).exists():
        catalog = local / CATALOG_FILE
    if catalog is not None:
        uri = _catalog_uri(catalog, None, where)
        table = _iceberg_table(_open_catalog(uri, where), where)
        if table is None:
            from ..store import mask_url as _masked

            raise ConfigError(f"no Iceberg table {ICEBERG_TABLE!r} in the catalog {_masked(uri)!r}")
        return table
    from pyiceberg.table import StaticTable

    found = sorted((local / "metadata").glob("*.metadata.json")) if local.is_dir() else []
    if not found:
        raise ConfigError(f"no Iceberg table at {where!r} (no metadata/*.metadata.json)")
    return StaticTable.from_metadata(str(found[-1]))


def _frame(data: pa.Table) -> pd.DataFrame:
    """The stored columns back to the normalized frame (missing columns as nulls)."""
    cols = []
    for name in _columns():
        if name in data.column_names:
            cols.append(data.column(name).cast(_ds._ARROW_TYPES[name]))
        else:
            cols.append(pa.nulls(data.num_rows, _ds._ARROW_TYPES[name]))
    return _ds.from_arrow(pa.table(dict(zip(_columns(), cols, strict=True))))
