"""Every notebook runs top to bottom with its hidden solution, and its check fails on the bare exercise.

Exercise cells are tagged ``exercise`` and their checked-answer cells ``check``; the solution of
``notebooks/NAME.py`` is ``notebooks/solutions/NAME.py``, inserted after the exercise cell. Check cells are
also tagged ``raises-exception`` so that the rendered docs show the unsolved exercise failing; any other
cell that raises fails the test.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(ROOT.glob("*.py"))


def tagged(nb, tag: str) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_with_solution_runs_and_bare_exercise_fails(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(path)
    exercises, checks = tagged(nb, "exercise"), tagged(nb, "check")
    assert len(exercises) == len(checks) == 1, "one exercise cell and one check cell per notebook"
    solution = (ROOT / "solutions" / path.name).read_text()
    nb.cells.insert(exercises[0] + 1, nbformat.v4.new_code_cell(solution))
    check = checks[0] + 1
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
        assert not errors(nb.cells[check]), "the check fails with the hidden solution"
        client.execute_cell(nb.cells[exercises[0]], exercises[0])  # back to the unsolved exercise
        client.execute_cell(nb.cells[check], check)  # tagged raises-exception: errors are recorded
        assert errors(nb.cells[check]), "the check passes on the unsolved exercise"


def errors(cell) -> list[str]:
    return [o.get("ename", "") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
