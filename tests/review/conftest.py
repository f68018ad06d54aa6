from pathlib import Path

import pytest

from .sample import write_workspace


@pytest.fixture()
def workspace(tmp_path: Path):
    return write_workspace(tmp_path / "ws")
