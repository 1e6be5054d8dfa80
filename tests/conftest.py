"""Shared fixtures: golden files (regenerate with ``pytest --update-golden``, then read the
diff before committing) and the list of problems, discovered from problems/."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

import matcalc
from matcalc.model import Solution

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.mc"))
GOLDEN = Path(__file__).parent / "golden"
HEADER = re.compile(r"^\s*(##|problem\s*:)")  # a line that starts the next problem


def problem_texts() -> list[tuple[str, str]]:
    """Each problem of each file in problems/ as a text of its own, named file#number."""
    out = []
    for path in PROBLEMS:
        lines = path.read_text(encoding="utf-8").split("\n")
        starts = [i for i, line in enumerate(lines) if HEADER.match(line)] or [0]
        for number, (start, end) in enumerate(pairwise([*starts, len(lines)])):
            out.append((f"{path.stem}#{number}", "\n".join(lines[start:end])))
    return out


@cache
def solved_file(path: Path) -> tuple[Solution, ...]:
    """A file of problems/ solved and checked, once per test session (solutions are frozen,
    so every test may share them)."""
    return tuple(matcalc.solve_file(path))


@cache
def solved(text: str) -> tuple[Solution, ...]:
    """A problem's text solved without the numeric check, once per test session."""
    return tuple(matcalc.solve_all(text, check=False))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current output (read the diff!)")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/<name>; with --update-golden, write it instead."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            if not update:
                pytest.fail(f"{path} was missing; written now: read it, then commit it")
        assert actual == path.read_text(encoding="utf-8")

    return check
