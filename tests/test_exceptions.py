"""One exception tree: every error and warning class lives in ``exceptions.py``, under one
root each, and the tree drawn in its docstring is the real one."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import rds_job_analytics
from rds_job_analytics import exceptions

PKG_DIR = Path(rds_job_analytics.__file__).resolve().parent


def _classes() -> list[type]:
    return [c for n in exceptions.__all__ if inspect.isclass(c := getattr(exceptions, n))]


def _drawn(root: type) -> list[str]:
    classes = _classes()
    lines: list[str] = []

    def walk(cls: type, depth: int) -> None:
        builtins = [
            b.__name__
            for b in cls.__bases__
            if b.__module__ == "builtins" and b not in (Exception, UserWarning)
        ]
        lines.append(
            "    " * depth + cls.__name__ + (f" ({', '.join(builtins)})" if builtins else "")
        )
        for sub in sorted((k for k in classes if cls in k.__bases__), key=lambda k: k.__name__):
            walk(sub, depth + 1)

    walk(root, 0)
    return lines


def test_the_docstring_draws_the_real_tree():
    tree = _drawn(exceptions.RdsJobError) + _drawn(exceptions.RdsJobWarning)
    drawn = "\n".join("    " + line for line in tree)
    assert drawn in exceptions.__doc__


def test_every_class_has_one_of_the_two_roots():
    strays = [
        c.__name__
        for c in _classes()
        if not issubclass(c, exceptions.RdsJobError | exceptions.RdsJobWarning)
    ]
    assert strays == []


def test_no_public_exception_class_outside_exceptions_py():
    """A public ``class X(...Error/Exception/Warning)`` anywhere else is a second home."""
    outside = []
    for path in sorted(PKG_DIR.rglob("*.py")):
        if path.name == "exceptions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception", "Warning", "Interrupted")) for b in bases):
                    outside.append(f"{path.relative_to(PKG_DIR)}:{node.name}")
    assert outside == []
