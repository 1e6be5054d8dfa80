"""Every example in docs/language.md runs: an `mc` block solves and passes its numeric check;
an `mc error` block fails with the message in its first line. README's excerpt of each
output format is found in that format's real output."""

from __future__ import annotations

import re

import pytest

import matcalc
from matcalc.errors import MatcalcError
from tests.conftest import ROOT

DOC = ROOT / "docs" / "language.md"
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


README = ROOT / "README.md"
EXCERPTS = re.findall(r"```output (\w+)\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
EXAMPLE = "x in R^D; f = log(1 + x^T x); find df/dx"


def test_readme_shows_every_format() -> None:
    from matcalc.render import FORMATS

    assert sorted(fmt for fmt, _ in EXCERPTS) == sorted([*FORMATS, "numpy", "jax"])


@pytest.mark.parametrize("fmt, excerpt", EXCERPTS, ids=[fmt for fmt, _ in EXCERPTS])
def test_readme_excerpt_is_the_real_output(fmt: str, excerpt: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from matcalc.cli import main

    main(["solve", "-e", EXAMPLE, "--format", fmt, "--brief", "--width", "80", "--no-color"])
    assert excerpt in capsys.readouterr().out
