"""The terminal view at 80 columns (and narrower): a formula is never broken inside when it
fits on a line, lines after the first hang under the text, and a formula wider than a line
is cut only at its own spaces."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from matcalc.render import render_all
from matcalc.render.printers import unicode
from matcalc.render.text import Prose
from tests.conftest import PROBLEMS, solved_file


def shown(prose: Prose, width: int) -> list[str]:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(prose)
    return buffer.getvalue().rstrip("\n").split("\n")


def test_breaks_between_words_and_around_formulas_never_inside() -> None:
    prose = Prose([("at ", "", False), ("ξ = 1/(z + 1)", "", True),
                   (" it is the derivative of the outer function", "", False)], lead="1. ")
    lines = shown(prose, 16)
    assert lines[0] == "1. at"
    assert lines[1] == "   ξ = 1/(z + 1)"  # 16 columns: the formula moves down whole
    assert all(line.startswith("   ") for line in lines[1:])  # hanging under the text
    assert all(len(line) <= 16 for line in lines)


def test_a_formula_wider_than_the_line_breaks_at_its_spaces_keeping_what_follows() -> None:
    prose = Prose([("so ", "", False), ("a + b + c + d + e", "", True), (".", "", False)])
    lines = shown(prose, 8)
    assert " ".join(lines).split() == ["so", "a", "+", "b", "+", "c", "+", "d", "+", "e."]
    assert all(len(line) <= 8 for line in lines)


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_every_result_that_fits_is_on_one_line(problem: object) -> None:
    solutions = list(solved_file(problem))  # type: ignore[arg-type]
    output = render_all(solutions, "text", width=80)
    lines = output.split("\n")
    assert all(len(line) <= 80 for line in lines)
    for solution in solutions:
        for derivation in solution.derivations:
            formula = unicode(derivation.result)
            if len(formula) <= 60:
                assert any(formula in line for line in lines), formula
            for step in derivation.steps:
                value = unicode(step.value)
                if len(value) <= 60:
                    assert any(value in line for line in lines), value
