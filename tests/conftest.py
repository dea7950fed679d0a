import subprocess
import sys
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "contract" / "check_result.py"


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Run the installed command line as a user would."""
    return subprocess.run([sys.executable, "-m", "bayesgeo", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def check_contract():
    """Run the shared result-file checker on an output folder (skips when the checker is absent)."""

    def check(out: Path) -> None:
        if not CHECKER.is_file():
            pytest.skip(f"contract checker not found at {CHECKER}")
        res = subprocess.run([sys.executable, str(CHECKER), str(out)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr

    return check
