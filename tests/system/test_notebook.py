"""The example notebook runs from top to bottom in a Jupyter kernel (nbclient, ipykernel),
and what each result cell shows is matcalc's own HTML. The executed notebook goes to
build/examples/ for a person to open."""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.conftest import ROOT

NOTEBOOK = ROOT / "examples" / "matcalc.ipynb"
NEEDED = ("nbclient", "nbformat", "ipykernel")


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in NEEDED)
                    and not os.environ.get("CI"),
                    reason="nbclient, nbformat or ipykernel is missing (the test extra has "
                           "them; CI never skips)")
def test_example_notebook_runs_and_shows_html() -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    out = ROOT / "build" / "examples"
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out / NOTEBOOK.name)
    shown = [output["data"] for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.get("outputs", []) if output.get("output_type") ==
             "execute_result"]
    assert len(shown) >= 5
    derivations = [data for data in shown if "text/html" in data]
    assert len(derivations) >= 4
    for data in derivations:
        assert data["text/html"].startswith('<div class="matcalc">')
        assert "<math" in data["text/html"] and "Checked numerically" in data["text/html"]
        assert data["text/plain"].startswith(("<Solution", "<Derivation"))
