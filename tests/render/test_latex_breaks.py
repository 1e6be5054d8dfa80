"""A display does not break by itself: a row wider than the page is cut at its own spaces
into continuation lines, so that nothing runs past the margin (a deep network's chain rule,
its result and views), and nothing is lost or reordered on the way."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import matcalc
from matcalc.render import render_all
from matcalc.render.latex import WIDTH, broken, pieces, width


def network(layers: int) -> str:
    lines = ["x in R^D", *(f"W{k} in R^{{D x D}}" for k in range(1, layers + 1))]
    previous = "x"
    for k in range(1, layers + 1):
        lines.append(f"h{k} = tanh(W{k} {previous})")
        previous = f"h{k}"
    return "\n".join([*lines, f"f = {previous}^T {previous}", "find df/dW1"])


def test_a_short_row_is_left_as_it_is() -> None:
    row = r"\frac{\mathrm{d}f}{\mathrm{d}x} &= 2 x^{\top} \in \mathbb{R}^{1 \times D}"
    assert broken(row) == row


def test_a_long_row_breaks_between_factors_and_keeps_every_one() -> None:
    factors = [rf"\operatorname{{diag}}(1 - \tanh^{{2}}(u_{{{k}}})) W_{{{k}}}^{{\top}}"
               for k in range(1, 13)]
    row = r"\frac{\partial f}{\partial x} &= 2 " + " ".join(factors) + r" && \text{label}"
    lines = broken(row).split(" \\\\\n")
    assert len(lines) > 2
    assert all(width(line.split("&", 1)[1]) <= WIDTH + 4 for line in lines)
    assert all(line.strip().startswith(r"&\quad") for line in lines[1:])
    assert lines[-1].endswith(r"&& \text{label}")
    rejoined = " ".join(line.split("&=", 1)[-1].replace(r"&\quad", "").replace(
        r"&& \text{label}", "").strip() for line in lines)
    assert pieces(rejoined) == pieces("2 " + " ".join(factors))  # nothing lost or moved


def test_a_bracket_wider_than_a_line_breaks_inside_it_between_its_factors() -> None:
    inner = " ".join(rf"\operatorname{{diag}}(1 - \tanh^{{2}}(u_{{{k}}})) W_{{{k}}}"
                     for k in range(1, 13))
    lines = broken(rf"a &= 2 (x^{{\top}} \otimes ({inner}))").split(" \\\\\n")
    assert len(lines) > 2
    assert not any(line.strip().startswith(r"&\quad -") for line in lines)  # not in diag(…)


@pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                    reason="pdflatex is not installed (CI installs it and never skips)")
def test_a_deep_network_sets_without_running_into_the_margin(tmp_path: Path) -> None:
    solutions = matcalc.solve_all(network(12))
    (tmp_path / "net.tex").write_text(render_all(solutions, "latex", standalone=True),
                                      encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "net.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    log = (tmp_path / "net.log").read_text(encoding="utf-8", errors="replace")
    overfull = [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
    assert not overfull, "\n".join(overfull)
