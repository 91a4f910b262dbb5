from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "data" / "spec_examples"
SHARED_EXAMPLES = ROOT.parent / "shared" / "spec" / "examples"


@pytest.fixture
def example():
    def load(name: str) -> dict:
        return json.loads((EXAMPLES / f"{name}.json").read_text())

    return load


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
