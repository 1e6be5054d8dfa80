"""Shared files, other people's text (issue 19's first items): -o writes into what it is
given without replacing it, no control character reaches the terminal, a title cannot make
a Markdown link or image, and JSON is always strict JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest

import matcalc
from matcalc.cli import main
from matcalc.model import Check
from matcalc.render import render_all

PROBLEM = "x in R^D\nf = x^T x\n"


def solve_to(path: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "-e", PROBLEM, "--format", "json", "-o", str(path)]) == 0


def test_an_existing_file_keeps_its_mode_and_its_hard_links(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target, link = tmp_path / "out.json", tmp_path / "link.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    os.link(target, link)
    solve_to(target, capsys)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_nlink == 2 and json.loads(link.read_text("utf-8"))["problems"]


def test_a_new_file_takes_the_umask_and_a_symlink_its_target(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = os.umask(0o022)
    try:
        solve_to(tmp_path / "new.json", capsys)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    real, pointer = tmp_path / "real.json", tmp_path / "pointer.json"
    real.write_text("old", encoding="utf-8")
    pointer.symlink_to(real)
    solve_to(pointer, capsys)
    assert pointer.is_symlink() and json.loads(real.read_text("utf-8"))["problems"]


def test_a_device_and_a_fifo_are_written_into_not_replaced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    solve_to("/dev/null", capsys)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        solve_to(fifo, capsys)
        received = b""
        while chunk := os.read(reader, 65536):
            received += chunk
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and json.loads(received)["problems"]


@pytest.mark.parametrize("control", ["\x1b]52;c;aGk=\x07", "\x1b[2J", "\x9b31m", "\u202e"])
def test_no_control_character_reaches_the_terminal(
        control: str, capsys: pytest.CaptureFixture[str]) -> None:
    title = f"problem: evil {control} title\n"
    assert main(["solve", "-e", title + PROBLEM, "--no-color"]) == 0
    shown = capsys.readouterr().out
    assert control not in shown and "\x1b" not in shown and "\x07" not in shown
    assert main(["solve", "-e", title + "x in R^D\nf = x^T x " + control + "\n"]) != 0
    said = capsys.readouterr().err
    assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said


def test_a_title_cannot_make_a_markdown_link_or_image() -> None:
    text = "problem: see [here](http://example.com) ![x](http://example.com/a.png) <b>\n"
    page = render_all([matcalc.solve(text + PROBLEM, check=False)], "markdown")
    heading = page.splitlines()[0]
    assert "[" not in heading and "]" not in heading and "<b>" not in heading


def test_json_is_strict_even_for_a_check_that_failed_with_no_number() -> None:
    solution = matcalc.solve(PROBLEM)
    failed = Check(False, float("inf"), (("D", 3),), 2, "the matrix to invert is singular")
    solution = dataclasses.replace(solution, derivations=tuple(
        dataclasses.replace(d, checked=failed) for d in solution.derivations))

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    parsed = json.loads(render_all([solution], "json"), parse_constant=refuse)
    assert parsed["problems"][0]["derivations"][0]["check"]["max_error"] is None


@pytest.mark.parametrize("text, message", [
    ("t in R\nf = 𝟏 + t\n", "the size of the ones vector cannot be told"),
    ("t in R\nf = 1' - t\n", "the size of the ones vector cannot be told"),
    ("x in R\nf = " + "9" * 5000 + " x\n", "a number of at most 1000 digits"),
    ("x in R\nf = 10^{10^6} x\n", "more than 1000 digits"),
    ("x in R\nf = 2^{2^{30}} x\n", "more than 1000 digits"),
    ("x in R^{" + "1" * 30 + "}\nf = x^T x\n", "a size of at most 100,000"),
    ("A in R^{D x D}\nf = tr(A^1000000)\nfind df/dA", "a matrix power of at most 64"),
    ("x in R^D\u2028f = x^T y\n", "unknown name 'y'"),
    ("x in R^2\ng = 2 e_1^T + 3 e_2^T\n", "the size of e_k cannot be told"),  # SympifyError
    ("x in R^2\ng = 1^T + e_1^T\n", "the size of the ones vector cannot be told"),
])
def test_what_crashed_is_an_error_at_its_place(text: str, message: str) -> None:
    with pytest.raises(matcalc.MatcalcError, match=message) as caught:
        matcalc.solve_all(text)
    assert caught.value.span is not None
    assert caught.value.span.line == 2 or "R^{" in text


@pytest.mark.parametrize("text", ["\ufeffx in R^D\nf = x^T x\n", "x in R^D\u2028f = x^T x\n",
                                  "x in R^D\nf = x^T x\x0c\n"])
def test_a_byte_order_mark_and_other_line_breaks_are_read(text: str) -> None:
    assert matcalc.solve(text).derivations[0].checked.passed  # type: ignore[union-attr]


def test_an_output_encoding_without_the_symbols_escapes_them() -> None:
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "matcalc", "solve", "-e", PROBLEM],
                         capture_output=True, env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    assert run.returncode == 0, run.stderr
    assert b"\\u2208" in run.stdout and b"internal error" not in run.stderr


def test_bytes_that_are_not_utf8_are_an_error_on_stdin_and_in_e() -> None:
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "matcalc", "solve", "-"],
                         input=b"x in R^D\nf = x^T x \xff\n", capture_output=True)
    assert run.returncode == 1 and b"standard input is not UTF-8 text" in run.stderr
    assert main(["solve", "-e", "x in R^D\nf = x^T x \udcff"]) == 1


def test_a_chain_too_deep_for_sympy_is_an_error_that_names_the_problem() -> None:
    lines = ["x in R", "s1 = sin(x)", *(f"s{k} = sin(s{k - 1})" for k in range(2, 341)),
             "f = s340"]
    with pytest.raises(matcalc.MatcalcError, match="nest too deeply") as caught:
        matcalc.solve("\n".join(lines))
    assert caught.value.span is not None


def test_two_engine_crashes_now_derive_right() -> None:
    """(v vᵀ)ᵀ v by v ('Scalar' object has no attribute 'is_Identity' in a Kronecker
    product) and the explanation of cos(b) − tr(X) + wᵀ(w − w) by b (a number and a 1×1
    matrix added), against numpy by hand."""
    import numpy as np

    derivation = matcalc.solve("v in R^D\nf = (v v^T)^T v\nfind df/dv").derivations[0]
    v = np.array([0.3, -1.2, 0.7])
    np.testing.assert_allclose(derivation.evaluate({"D": 3}, {"v": v}),
                               (v @ v) * np.eye(3) + 2 * np.outer(v, v))
    solution = matcalc.solve("b in R\nX in R^{D x D}\nw in R^D\n"
                             "f = cos(b) - tr(X) + w^T (w - w)\nfind df/db")
    assert "has derivative zero" in solution.to_text()
    assert float(solution.derivations[0].evaluate({"D": 2}, {
        "b": 0.4, "X": np.eye(2), "w": np.ones(2)})) == pytest.approx(-np.sin(0.4))


def test_a_long_product_written_with_an_operator_is_not_nesting() -> None:
    text = "x in R^D\nf = " + " * ".join(["x^T x"] * 80)
    assert matcalc.solve(text).derivations[0].checked.passed  # type: ignore[union-attr]
    with pytest.raises(matcalc.MatcalcError, match="nests deeper than 60"):
        matcalc.solve("x in R\nf = " + "(" * 70 + "x" + ")" * 70)


def test_dims_too_large_and_width_too_wide_are_refused_at_once(
        capsys: pytest.CaptureFixture[str]) -> None:
    solution = matcalc.solve_all("X in R^{D x D}\nf = tr(X^T X)\nfind df/dX",
                                 dims={"D": 3000}, check=False)[0]
    assert "9,000,000 entries" in solution.to_text()  # said before a symbol per entry
    with pytest.raises(SystemExit) as caught:
        main(["solve", "--width", "100000000", "-e", PROBLEM])
    assert caught.value.code == 2


def test_a_name_with_two_underscores_is_refused_not_printed_as_a_power() -> None:
    """a__b printed as a^{b} in LaTeX, which reads back as a power."""
    with pytest.raises(matcalc.MatcalcError, match="an underscore joins a name") as caught:
        matcalc.solve("a__b in R^D\nf = a__b^T a__b")
    assert caught.value.span is not None and caught.value.span.column == 1


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None and not os.environ.get("CI"),
                    reason="pdflatex is not installed (CI installs it)")
def test_standalone_latex_compiles_with_a_title_in_any_script(tmp_path: Path) -> None:
    import subprocess

    text = "problem: Задача 梯度 — é ✓ \x1b\n" + PROBLEM
    document = render_all([matcalc.solve(text)], "latex", standalone=True)
    assert "[U+0417]" in document  # said, not set
    (tmp_path / "t.tex").write_text(document, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def test_a_derivative_too_large_to_compute_is_said_unchecked_not_attempted() -> None:
    """A ∈ ℝ^{150×150}, F = AA by A: 506 million entries (7.8 GB when the check tried)."""
    derivation = matcalc.solve("A in R^{150 x 150}\nF = A A\nfind dF/dA").derivations[0]
    assert derivation.checked is not None and derivation.checked.trials == 0
    assert "506,250,000 entries" in derivation.checked.message
    assert "Not checked numerically" in derivation.to_text()


def test_an_endless_input_is_refused_after_a_bounded_read(
        capsys: pytest.CaptureFixture[str]) -> None:
    """/dev/zero and /dev/urandom never end: matcalc reads what 100,000 characters can take
    and says the input is too long (it read until memory ran out)."""
    for device in ("/dev/zero", "/dev/urandom"):
        if not os.path.exists(device):
            continue
        assert main(["solve", device]) == 1
        assert "more than 100,000 characters" in capsys.readouterr().err


def test_a_long_line_is_echoed_as_a_window_around_the_spot() -> None:
    line = "f = " + " + ".join(["x^T x"] * 60) + " + q"
    with pytest.raises(matcalc.MatcalcError) as caught:
        matcalc.solve("x in R^D\n" + line)
    message, echoed, caret = str(caught.value).splitlines()[:3]
    assert "unknown name 'q'" in message
    assert len(echoed) < 110 and echoed.lstrip().startswith("…")
    assert echoed[caret.index("^")] == "q"


def test_a_sum_of_a_thousand_terms_solves_wherever_it_is_written() -> None:
    """A sum is a left-leaning chain a thousand levels deep: the sums over data walked it by
    recursion (RecursionError), a vector plus a thousand constants nested a thousand
    entrywise maps, and the builder added numbers one by one (quadratic in sympy)."""
    import numpy as np

    coefficients = np.arange(1, 1001)
    many = matcalc.solve("x in R\nf = " + " + ".join(f"{k} x^{k % 7}" for k in coefficients))
    t = 0.9
    expected = sum(k * (k % 7) * t ** (k % 7 - 1) for k in coefficients if k % 7)
    assert float(many.derivations[0].evaluate({}, {"x": t})) == pytest.approx(expected)

    shifted = matcalc.solve("x in R^D\nf = (x" + " + 1" * 1000 + ")^T x\nfind df/dx")
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(shifted.derivations[0].evaluate({"D": 3}, {"x": x}).ravel(),
                               2 * x + 1000)

    data = matcalc.solve("X in R^{N x D}\nw in R^D\ny in R^N\n"
                         "f = sum_n (y_n - w^T x_n" + " + 1" * 1000 + ")^2\nfind df/dw")
    rng = np.random.default_rng(0)
    X, w, y = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    by_hand = sum(-2 * (y[n] - w @ X[n] + 1000) * X[n] for n in range(4))
    np.testing.assert_allclose(
        np.ravel(data.derivations[0].evaluate({"N": 4, "D": 3}, {"X": X, "w": w, "y": y})),
        by_hand)
