"""Every problem in problems/ solves, passes the finite-difference check at two different
random draws of distinct sizes, and renders as its golden text and LaTeX."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

import matcalc
from matcalc.check import check_any
from matcalc.render import render_all
from tests.conftest import PROBLEMS, solved_file


def test_problems_folder_is_not_empty() -> None:
    assert len(PROBLEMS) >= 12


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_problem_solves_and_checks(problem: Path) -> None:
    solutions = solved_file(problem)
    derivations = [d for s in solutions for d in s.derivations]
    assert derivations
    for derivation in derivations:
        assert derivation.checked is not None and derivation.checked.passed, derivation.checked
        again = check_any(derivation, seed=7)  # other sizes, other values
        assert again.passed, again
        sizes = [n for _, n in again.sizes]
        assert len(sizes) == len(set(sizes)), "sizes must be distinct"
        for chain in derivation.chains:  # the sizes of the chain's factors line up
            for outer, inner in pairwise(chain.links):
                assert outer.step.shape.cols == inner.step.shape.rows or \
                    derivation.views is not None, (outer.step.shape, inner.step.shape)


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_problem_states_its_expected_answer(problem: Path) -> None:
    """The textbook's answer in words and formulas (Expected), and as a formula in the
    problem language (Answer) that tests/system/test_answers.py reads and compares."""
    text = problem.read_text(encoding="utf-8")
    assert re.search(r"#\s*Expected:", text)
    assert re.search(r"#\s*Answer:", text) or problem.stem in {"mml-5.9"}


@pytest.mark.parametrize("fmt, suffix", [("text", "txt"), ("latex", "tex"), ("json", "json"),
                                         ("markdown", "md")])
@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_rendered_output_matches_golden(problem: Path, fmt: str, suffix: str,
                                        golden: Callable[[str, str], None]) -> None:
    output = render_all(list(solved_file(problem)), fmt, width=100)
    # the digits of a rounding error are not part of the presentation
    output = re.sub(r"error \d\.\de-\d\d", "error <small>", output)
    output = re.sub(r'"max_error": [0-9.e+-]+', '"max_error": "<small>"', output)
    golden(f"{problem.stem}.{suffix}", output)


@pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                    reason="pdflatex is not installed (CI installs it and never skips)")
def test_latex_of_every_problem_compiles(tmp_path: Path) -> None:
    solutions = [s for problem in PROBLEMS for s in solved_file(problem)]
    document = render_all(solutions, "latex", standalone=True)
    (tmp_path / "all.tex").write_text(document, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "all.pdf").stat().st_size > 1000
    log = (tmp_path / "all.log").read_text(encoding="utf-8", errors="replace")
    overfull = [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
    assert not overfull, "\n".join(overfull)  # nothing runs into the margin


def test_written_out_entries_match_golden(golden: Callable[[str, str], None]) -> None:
    """--dims M=2,N=3 on MML's example: the slices and the 2×6 vectorized Jacobian."""
    path = PROBLEMS[0].parent / "vector-by-matrix.mc"
    solutions = matcalc.solve_file(path, dims={"M": 2, "N": 3}, check=False)
    golden("vector-by-matrix.dims.txt", render_all(solutions, "text", width=100))
