"""Definitions come in any order (language.md): with its definition lines reversed, every
problem reads as the same problem, however its names are spelled (\\hat{y}, W_1, h_1,
\\mathbf{W}_1), so that the order a problem is written in never changes what is derived."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from matcalc.language import parse
from tests.conftest import HEADER, PROBLEMS

SPELLED = [  # each name used before its definition, in another spelling than defined
    "x, y in R^D\nf = ||y - \\hat{y}||^2\nyhat = 2 x",
    "x, y in R^D\nf = ||y - yhat||^2\n\\hat{y} = 2 x",
    "x in R^D\nW1 in R^{D x D}\nf = h_1^T h_1\nh1 = tanh(W_1 x)",
    "x in R^D\nW1 in R^{D x D}\nf = h_{1}^T h_1\nh1 = tanh(\\mathbf{W}_1 x)",
    "x in R^D\nf = \\bar{z}^T \\bar{z}\nzbar = \\tilde{x} + x\nxtilde = 2 x",
]

DEFINITION = re.compile(r"^\s*(?!find\b|#)[^#=]*[^<>!=]=[^=]")


def reordered(text: str) -> str:
    """The same text with the one-line definitions of each problem in the reverse order."""
    lines = text.split("\n")
    starts = [0, *(i for i, line in enumerate(lines) if HEADER.match(line)), len(lines)]
    for start, end in pairwise(starts):
        places = [i for i in range(start, end)
                  if DEFINITION.match(lines[i]) and not HEADER.match(lines[i])
                  and ";" not in lines[i]]
        for place, line in zip(places, [lines[i] for i in reversed(places)], strict=True):
            lines[place] = line
    return "\n".join(lines)


def definitions(text: str) -> list[dict[str, object]]:
    return [{d.name: d.expr for d in problem.definitions} for problem in parse(text)]


@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in PROBLEMS] + SPELLED,
                         ids=[p.stem for p in PROBLEMS] + [f"spelled-{i}"
                                                           for i in range(len(SPELLED))])
def test_definitions_in_reverse_order_read_alike(text: str) -> None:
    assert definitions(reordered(text)) == definitions(text)
