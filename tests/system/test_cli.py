"""The command line, in-process through main(argv), and once as the installed script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matcalc.cli import main
from tests.conftest import ROOT

EXAMPLE = ROOT / "problems" / "mml-5.8a.mc"


def test_text_output_shows_partials_chain_result_and_check(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(EXAMPLE), "--width", "120"]) == 0
    out = capsys.readouterr().out
    for expected in ("∂f/∂z", "∂z/∂y", "∂y/∂x", "ℝ^{1×D}", "(1×1)(1×D)(D×D) → 1×D",
                     "quadratic form", "Checked numerically", "S⁻¹"):
        assert expected in out


def test_json_output_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(EXAMPLE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (problem,) = data["problems"]
    assert problem["title"] == "MML exercise 5.8(a)"
    (derivation,) = problem["derivations"]
    assert {"of", "wrt", "shape", "steps", "result", "check"} <= set(derivation)
    assert [s["symbol"] for s in derivation["steps"]] == ["∂f/∂z", "∂z/∂y", "∂y/∂x"]
    assert {"rule", "symbol", "shape", "text", "latex"} <= set(derivation["steps"][0])
    assert derivation["check"]["passed"] is True


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "notes.tex"
    assert main(["solve", str(EXAMPLE), "-f", "latex", "--standalone", "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")


def test_output_file_is_not_written_on_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mc"
    bad.write_text("x in R^D\nf = x^T q\n", encoding="utf-8")
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    assert main(["solve", str(EXAMPLE), str(bad), "-f", "json", "-o", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == sorted(["bad.mc", "out.json"]) or \
        set(p.name for p in tmp_path.iterdir()) == {"bad.mc", "out.json"}


def test_an_output_file_that_cannot_be_written_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "notes.tex"
    assert main(["solve", str(EXAMPLE), "-f", "latex", "-o", str(target)]) == 1
    error = capsys.readouterr().err
    assert error == f"matcalc: error: cannot write {target}: No such file or directory\n"
    assert not (tmp_path / "missing").exists()


def test_inline_problem_and_no_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "-e", "x in R^D; f = x^T x; find df/dx", "--no-check",
                 "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    derivation = data["problems"][0]["derivations"][0]
    assert derivation["result"]["text"] == "2xᵀ" and derivation["check"] is None


def test_standard_input(monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("x in R^D\nf = log(1 + x^T x)\n"))
    assert main(["solve", "-", "--brief", "--layout", "denominator"]) == 0
    out = capsys.readouterr().out
    assert "Denominator layout" in out and "ℝ^{D×1}" in out


@pytest.mark.parametrize("argv", [["solve", "--format", "pdf", str(EXAMPLE)], ["solve"],
                                  ["frobnicate"], ["solve", "/no/such/file.mc"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_installed_script_runs() -> None:
    script = shutil.which("matcalc")
    command = [script] if script else [sys.executable, "-m", "matcalc"]
    run = subprocess.run([*command, "solve", str(EXAMPLE), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["problems"][0]["derivations"][0]["check"]["passed"]
    version = subprocess.run([*command, "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("matcalc ")


def test_a_failed_check_is_shown_and_exits_1(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import matcalc.check
    from matcalc.model import Check

    def failing(derivation: object, **options: object) -> Check:
        return Check(False, 0.5, (("D", 3),), 2, "largest relative error 5.0e-01")

    monkeypatch.setattr(matcalc.check, "check_derivation", failing)
    assert main(["solve", str(EXAMPLE), "--width", "120"]) == 1
    captured = capsys.readouterr()
    assert "NUMERIC CHECK FAILED" in captured.out
    assert "failed the numeric check" in captured.err


def test_width_below_40_is_a_usage_error(capsys: object) -> None:
    import pytest

    from matcalc.cli import main

    for width in ("0", "-3", "12"):
        with pytest.raises(SystemExit) as leaving:
            main(["solve", "-e", "x in R^D; f = x^T x", "--width", width])
        assert leaving.value.code == 2
