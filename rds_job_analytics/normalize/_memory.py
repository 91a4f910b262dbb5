"""Process-wide allocator settings for building a large frame (:func:`lean_memory`).

Examples
--------
>>> import gc
>>> with lean_memory():
...     paused = not gc.isenabled()
>>> paused, gc.isenabled()
(True, True)
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

__all__ = ["lean_memory"]

try:  # numpy's switch for its huge-page advice (also NUMPY_MADVISE_HUGEPAGE=0)
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # pragma: no cover - other numpy layouts: leave numpy as it is
    _set_madvise_hugepage = None


def _jemalloc() -> pa.MemoryPool | None:
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # pragma: no cover - builds without jemalloc
        return None


_LOCK = threading.Lock()
_depth = 0
_saved: tuple[Any, Any, bool] | None = None


@contextlib.contextmanager
def lean_memory() -> Iterator[None]:
    """Allocator settings for building a large frame; all restored on exit.

    Building a frame allocates a few hundred MB of fresh memory in large blocks and
    many small objects. Three defaults make that slow:

    * arrow's mimalloc pool hands memory back to the OS eagerly and refaults it; the
      jemalloc pool keeps it;
    * numpy advises huge pages for arrays >= 4 MB, and huge-page faults are dear where
      transparent huge pages are in ``madvise`` mode;
    * the cyclic GC runs full collections while millions of objects are made, though
      no cycles are. This is the only GC switch of the package: both normalizer paths
      run under it.

    The measurements behind each are in ``benchmarks/RESULTS-normalize.md``. The
    settings are process-wide: the first of concurrent callers applies them and the
    last one restores them. Other threads meanwhile only see other allocation advice.
    """
    global _depth, _saved
    with _LOCK:
        if _depth == 0:
            pool = _jemalloc()
            _saved = (
                pa.default_memory_pool() if pool is not None else None,
                _set_madvise_hugepage(False) if _set_madvise_hugepage else None,
                gc.isenabled(),
            )
            gc.disable()
            if pool is not None:
                pa.set_memory_pool(pool)
        _depth += 1
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                old_pool, old_hp, gc_was_enabled = _saved
                _saved = None
                if old_pool is not None:
                    pa.set_memory_pool(old_pool)
                if old_hp is not None and _set_madvise_hugepage:
                    _set_madvise_hugepage(old_hp)
                if gc_was_enabled:
                    gc.enable()
