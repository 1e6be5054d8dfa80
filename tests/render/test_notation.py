"""Notation belongs to each solution: the order in which a problem wrote its sums and
products, and the LaTeX style, are the solution's own (render/printers.Notation), so a
problem prints the same alone and beside others."""

from __future__ import annotations

import json

import pytest

import matcalc
from matcalc.render import render_all
from tests.conftest import problem_texts, solved


def test_two_problems_in_one_file_keep_their_own_written_order() -> None:
    text = ("problem: first\nx, b in R^D\nf = b^T x + x^T x\n"
            "problem: second\nx, b in R^D\nf = x^T x + b^T x\n")
    first, second = matcalc.solve_all(text, check=False)
    together = render_all([first, second], "text")
    alone = render_all([first], "text")
    assert "f = bᵀx + xᵀx" in alone
    assert together.count("f = bᵀx + xᵀx") == alone.count("f = bᵀx + xᵀx")
    assert "f = xᵀx + bᵀx" in render_all([second], "text")


@pytest.mark.parametrize("fmt", ["json"])
def test_every_problem_prints_alone_as_beside_all_the_others(fmt: str) -> None:
    """JSON carries each formula as text and as LaTeX, and no note said once per output."""
    solutions = [s for _, text in problem_texts()
                 for s in solved(text)]
    together = json.loads(render_all(solutions, fmt))["problems"]
    for index, solution in enumerate(solutions):
        alone = json.loads(render_all([solution], fmt))["problems"][0]
        assert together[index] == alone, solution.problem.title


def test_the_latex_style_is_the_solution_s() -> None:
    (solution,) = matcalc.solve_all("x in R^D\nf = x^T x", check=False)
    assert "\\boldsymbol{x}" in solution.to_latex()
    assert "\\boldsymbol{x}" not in solution.to_latex(latex_style="plain")
    assert "\\boldsymbol{x}" in solution.to_latex()  # nothing left behind
