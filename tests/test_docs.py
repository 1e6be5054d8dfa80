"""Every example in docs/language.md runs: an `mc` block solves and passes its numeric check;
an `mc error` block fails with the message in its first line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import matcalc
from matcalc.errors import MatcalcError

DOC = Path(__file__).parent.parent / "docs" / "language.md"
BLOCKS = re.findall(r"```(mc(?: error)?)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_reference_has_examples() -> None:
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("mc") >= 8 and kinds.count("mc error") >= 8


@pytest.mark.parametrize("kind, text", BLOCKS, ids=[f"example-{i}" for i in range(len(BLOCKS))])
def test_documented_example(kind: str, text: str) -> None:
    if kind == "mc":
        for solution in matcalc.solve_all(text):
            for derivation in solution.derivations:
                assert derivation.checked is not None and derivation.checked.passed, text
        return
    first, _, body = text.partition("\n")
    expected = first.removeprefix("# error:").strip()
    with pytest.raises(MatcalcError) as caught:
        matcalc.solve_all(body)
    assert expected in str(caught.value)
    assert caught.value.span is not None
