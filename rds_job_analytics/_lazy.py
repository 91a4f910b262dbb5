"""Names a package loads on first use (PEP 562): the one loader every lazy namespace uses.

A stage's ``__init__`` lists which private module defines each lazy name (``_LAZY``) and
takes its ``__getattr__`` and ``__dir__`` from :func:`loader`; the name is imported on first
access and bound in the package, so later look-ups skip the hook.

>>> import types
>>> pkg = types.ModuleType("demo")
>>> getattr_, dir_ = loader("json", {"dumps": ""}, vars(pkg))
>>> getattr_("dumps")({"a": 1}), "dumps" in dir_(), "dumps" in vars(pkg)
('{"a": 1}', True, True)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = ["loader"]


def loader(
    package: str, lazy: dict[str, str], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: a name of ``lazy`` comes from
    ``package + "." + lazy[name]`` (the package itself for ""), is bound in ``namespace``
    (the package's globals) and returned; any other name is an ``AttributeError``."""

    def __getattr__(name: str) -> Any:
        module = lazy.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        home = importlib.import_module(f"{package}.{module}" if module else package)
        value = getattr(home, name)
        namespace[name] = value  # later look-ups skip this hook
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(lazy))

    return __getattr__, __dir__
