"""Old module paths, kept for one release as aliases that warn.

Before the package had subpackages its modules lay flat: ``rds_job_analytics.archive``,
``.fleet``, ``.dataset`` and so on. Each old path still imports, with a
:class:`DeprecationWarning` naming the new one, and every name it had resolves through the
new homes. The table below is the one home of that mapping.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     from rds_job_analytics.fleet import load_fleet
>>> load_fleet.__module__, caught[0].category.__name__
('rds_job_analytics.sync._fleet_file', 'DeprecationWarning')
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import inspect
import sys
import types
import warnings
from typing import Any

#: Old module (under the package) -> (the public path to use now, modules searched for names).
ALIASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "archive": (
        "rds_job_analytics.store",
        (
            "store",
            "store._archive",
            "store.coverage",
            "store._leases",
            "store._ledger",
            "store._backend",
            "store._urls",
            "store._sqlite",
            "export._files",
        ),
    ),
    "auth": ("rds_job_analytics.api", ("api", "api._auth")),
    "client": (
        "rds_job_analytics.api",
        ("api", "api._client", "api._errors", "api._transport", "api._circuit"),
    ),
    "regions": ("rds_job_analytics.api.regions", ("api.regions",)),
    "fetch": ("rds_job_analytics.sync", ("sync", "sync._fetch", "sync._sync")),
    "fleet": (
        "rds_job_analytics.sync",
        ("sync", "sync._fleet", "sync._fleet_file", "api", "exceptions"),
    ),
    "dataset": ("rds_job_analytics.export", ("export", "export._dataset", "export._sql", "stats")),
    "schema": ("rds_job_analytics.normalize.schema", ("normalize.schema",)),
}

_PACKAGE = __name__.rpartition(".")[0]
_ROOT_INIT = __file__.rpartition("/")[0] + "/__init__.py"
_IMPORTLIB_INIT = "/importlib/__init__.py"


class _AliasModule(types.ModuleType):
    """A module whose every attribute is looked up in the new homes (``__all__`` too, so a
    star import still binds the names), and whose attributes set (a test patching
    ``rds_job_analytics.archive.UPGRADE_CHUNK``) are set in the homes that hold them."""

    _homes: tuple[str, ...] = ()
    _new: str = ""

    def _modules(self) -> list[types.ModuleType]:
        return [importlib.import_module(f"{_PACKAGE}.{home}") for home in self._homes]

    def _home_of(self, name: str) -> types.ModuleType | None:
        return next(
            (m for m in self._modules() if name in vars(m) or name in getattr(m, "_LAZY", {})),
            None,
        )

    def __getattr__(self, name: str) -> Any:
        if name == "__all__":
            return sorted({n for m in self._modules() for n in getattr(m, "__all__", ())})
        if name.startswith("__"):
            raise AttributeError(name)
        home = self._home_of(name)
        if home is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(home, name)
        defined = value.__module__ if inspect.isfunction(value) or inspect.isclass(value) else ""
        where = _public_path(defined if defined.startswith(_PACKAGE) else home.__name__)
        moved = where != self._new and name not in getattr(_imported(self._new), "__all__", ())
        if moved and not name.startswith("_"):
            warnings.warn(  # the module's warning named another home: say where this one is
                f"{self.__name__}.{name} is deprecated: use {where}.{name}",
                DeprecationWarning,
                stacklevel=_caller_level(1),
            )
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        homes = [] if name.startswith("_") else [m for m in self._modules() if name in vars(m)]
        for home in homes:  # the module that defines it and the stage that re-exports it
            setattr(home, name, value)
        if not homes:
            super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({n for m in self._modules() for n in dir(m)})


def _imported(name: str) -> types.ModuleType:
    return importlib.import_module(name)


def _public_path(module: str) -> str:
    """A module's public path: ``rds_job_analytics.export._files`` -> ``...export``."""
    parts = module.split(".")
    while len(parts) > 1 and parts[-1].startswith("_"):
        parts.pop()
    return ".".join(parts)


def _caller_level(start: int = 2) -> int:
    """The ``stacklevel`` that points a warning raised in :meth:`_AliasFinder.create_module`
    at the user's line: past importlib's frames, this module and the package root's
    ``__getattr__`` (Python shows a DeprecationWarning by default only when it is
    attributed to ``__main__``: attributing it to importlib would hide it)."""
    skip = (__file__, _ROOT_INIT)
    frame, level = sys._getframe(start), start  # level 1: the function that warns
    while frame is not None:
        name = frame.f_code.co_filename
        if "importlib" in name and "_bootstrap" in name:
            frame = frame.f_back  # warnings.warn skips these itself: not counted
            continue
        if name not in skip and not name.endswith(_IMPORTLIB_INIT):
            return level
        frame, level = frame.f_back, level + 1
    return level


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        package, _, old = fullname.rpartition(".")
        if package != _PACKAGE or old not in ALIASES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        old = spec.name.rpartition(".")[2]
        new, homes = ALIASES[old]
        module = _AliasModule(spec.name, f"Deprecated alias of {new}.")
        object.__setattr__(module, "_homes", homes)
        object.__setattr__(module, "_new", new)
        warnings.warn(
            f"{spec.name} is deprecated and goes in the next release: use {new}",
            DeprecationWarning,
            stacklevel=_caller_level(),
        )
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install() -> None:
    """Make the old module paths importable (once; called by the package root)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
