"""Each bad input gives one clear error: the message, the caret under the culprit, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

import matcalc
from matcalc.cli import main


@pytest.mark.parametrize("source, message, culprit", [
    ("x in R^D\nf = x^T q\n", "unknown name 'q'", "q"),
    ("A in R^{E x D}, x in R^D, b in R^D\nz = A x + b\n",
     "shapes don't add: A x is E×1 but b is D×1", "A x + b"),
    ("A in R^{E x D}, x in R^E\nz = A x\n",
     "shapes don't multiply: A is E×D but x is E×1", "A x"),
    ("x in R^D\nf = xyz^T x\n", "unknown name 'xyz'", "xyz"),
    ("x in R^D\nf = \\frac{1}{2 x^T x\n", "'{' is never closed", "{2"),
    ("x in R^D\nf = x^T x)\n", "')' has no matching '('", ")"),
    ("x in R^D\nf = max(x)\n", "unsupported function 'max'", "max"),
    ("x in R^D\nf = x^T x +\n", "unexpected end of line", "\n"),
    ("x in R^D\nf = x^T x % 2\n", "unexpected character '%'", "%"),
    ("x in R^D\nf = x^T x\nfind df/dq\n", "unknown name 'q' in the target", "df/dq"),
    ("X in R^{m x n}\nf = vec(X)^T vec(X)\n", "matcalc has no function vec(…)", "vec"),
    ("x, y in R^D\nf = dot(x, y)\n", "matcalc has no function dot(…)", "dot"),
    ("x in R\nf = \\sqrt[n]{x}\n", "the root \\sqrt[n] needs a whole number", "[n]"),
    ("x in R^2\nConsider f(x) = x^T x\n", "'Consider' is a word, not part of a definition",
     "Consider"),
    ("x in R^D\nf = ||x||^I2\n", "an exponent must be a number", "I2"),
])
def test_error_message_and_caret(source: str, message: str, culprit: str) -> None:
    with pytest.raises(matcalc.MatcalcError) as info:
        matcalc.solve(source)
    text = str(info.value)
    assert message in text.splitlines()[0]
    echoed, caret = text.splitlines()[1:3]
    column = echoed.index(culprit.strip()) if culprit.strip() else len(echoed.rstrip())
    assert caret.index("^") == column, text


def test_cyclic_definitions_name_the_cycle() -> None:
    with pytest.raises(matcalc.MatcalcError, match="cyclic definitions: f → g → f"):
        matcalc.solve("x in R^D\nf = g + x^T x\ng = f\nfind df/dx")


def test_missing_target_asks_for_find() -> None:
    with pytest.raises(matcalc.MatcalcError) as info:
        matcalc.solve("x in R^D, y in R^E\nf = x^T x\ng = y^T y\n")
    assert "not clear what to differentiate" in str(info.value)
    assert "find" in info.value.hint


def test_ambiguous_variable_asks_for_find() -> None:
    with pytest.raises(matcalc.MatcalcError, match="which variable"):
        matcalc.solve("a, b in R^D\nf = a^T b\n")


def test_unsized_identity_is_an_error() -> None:
    with pytest.raises(matcalc.MatcalcError, match="size of I"):
        matcalc.solve("x in R^D\nf = tr(I)\n")


def test_errors_carry_a_span_and_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bad.mc"
    path.write_text("x in R^D\nf = x^T q\n", encoding="utf-8")
    with pytest.raises(matcalc.MatcalcError) as info:
        matcalc.solve_file(path)
    assert info.value.span is not None and info.value.span.line == 2
    assert str(info.value).startswith(f"{path}:2:9: error:")


@pytest.mark.parametrize("source", [
    "x in R^D\nf = x^T q\n", "x in R^D\nf = max(x)\n", "x in R^D\nf = (x\n",
    "x in R^D\nf = g\ng = f\nfind df/dx\n",
])
def test_cli_exit_code_is_1_without_traceback(source: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.mc"
    path.write_text(source, encoding="utf-8")
    assert main(["solve", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{path}:" in err and "error:" in err
