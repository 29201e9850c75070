from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened: explorer tests open dozens, and matplotlib warns past twenty."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
