"""The package's version: its one home (nothing inside the package imports the root)."""

__version__ = "0.1.0"
