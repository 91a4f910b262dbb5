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


class _AliasModule(types.ModuleType):
    """A module whose every attribute is looked up in the new homes."""

    _homes: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for home in self._homes:
            module = importlib.import_module(f"{_PACKAGE}.{home}")
            if name in vars(module):
                return vars(module)[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        names: set[str] = set()
        for home in self._homes:
            names |= set(dir(importlib.import_module(f"{_PACKAGE}.{home}")))
        return sorted(names)


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
        module._homes = homes
        warnings.warn(
            f"{spec.name} is deprecated and goes in the next release: use {new}",
            DeprecationWarning,
            stacklevel=3,
        )
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install() -> None:
    """Make the old module paths importable (once; called by the package root)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
