"""The HTML page: its math is MathML with no LaTeX left in it, it is one file that needs no
network, and in a real browser (Debian's Chromium through playwright) every problem's page
shows every formula with a box, fits an 800 px window, and logs no error. A screenshot of
each page goes to build/html/ for a person to look at.

CI installs Chromium and playwright and never skips; elsewhere the browser test is skipped
when either is missing."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

import matcalc
from matcalc.render import render_all
from matcalc.render.html import mathml
from tests.conftest import PROBLEMS, ROOT, solved_file

SHOTS = ROOT / "build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """Collects the text inside <math> and every resource the page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.math_text: list[str] = []
        self.loads: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.depth += tag == "math"
        self.loads += [value or "" for name, value in attrs if name in {"src", "href"}]

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "math"

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.math_text.append(data)


def page_of(problem: Path) -> str:
    return render_all(list(solved_file(problem)), "html")


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.stem)
def test_page_is_mathml_with_no_latex_left_and_loads_nothing(problem: Path) -> None:
    page = Page()
    page.feed(page_of(problem))
    assert page.tags.count("math") >= 5
    leftover = [text for text in page.math_text if "\\" in text or "$" in text]
    assert not leftover, f"LaTeX that latex2mathml did not convert: {leftover[:5]}"
    assert page.loads == [], "the page must be readable with no network"
    assert "<script" not in page_of(problem)


def test_mathml_typesets_as_tex_does() -> None:
    """A sign after an opening bracket is a sign, a bracket around one line does not
    stretch, a function name is upright with a thin space before it, d is upright."""
    out = mathml(r"\frac{1}{2} \exp\left(- x\right) \mathrm{d}X")
    assert '<mo form="prefix">&#x02212;</mo>' in out
    assert 'stretchy="false"' in out
    assert '<mspace width="0.1667em" /><mi>exp</mi>' in out
    assert "<mtext>d</mtext>" in out
    tall = mathml(r"\left(\frac{1}{2}\right)")
    assert 'stretchy="false"' not in tall
    assert "<mi>tr</mi>" in mathml(r"\operatorname{tr}\left(X\right)")


def test_bold_is_the_bold_letter_itself() -> None:
    """Browsers ignore mathvariant="bold-italic" (MathML Core); MML's bold x is 𝒙."""
    out = mathml(r"\boldsymbol{x}^{\top} \boldsymbol{\mu} + {\boldsymbol{W}_{1}} \mathbf{1}")
    assert "mathvariant" not in out
    assert all(letter in out for letter in ("𝒙", "𝝁", "𝑾", "𝟏"))


def test_words_are_escaped() -> None:
    solution = matcalc.solve("problem: a < b & c\nx in R^D\nf = x^T x\nfind df/dx")
    out = render_all([solution], "html")
    assert "<h2>a &lt; b &amp; c</h2>" in out
    assert re.search(r"<title>matcalc: a &lt; b &amp; c</title>", out)


@pytest.mark.skipif((CHROMIUM is None or importlib.util.find_spec("playwright") is None)
                    and not os.environ.get("CI"),
                    reason="Chromium or playwright is missing (CI installs both, never skips)")
def test_every_page_in_a_browser() -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        window = browser.new_page(viewport={"width": 800, "height": 1000})
        errors: list[str] = []
        window.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        window.on("pageerror", lambda e: errors.append(str(e)))
        for problem in PROBLEMS:
            path = SHOTS / f"{problem.stem}.html"
            path.write_text(page_of(problem), encoding="utf-8")
            window.goto(path.as_uri())
            empty = window.evaluate("""[...document.querySelectorAll('math')]
                .filter(m => { const r = m.getBoundingClientRect();
                               return r.width < 1 || r.height < 1; }).length""")
            wide = window.evaluate("""[...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth).length""")
            scrolls = window.evaluate("""[...document.querySelectorAll('.display, .table')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).length""")
            page_width = window.evaluate("document.documentElement.scrollWidth")
            window.screenshot(path=str(SHOTS / f"{problem.stem}.png"), full_page=True)
            if empty or wide or scrolls or page_width > 800 or errors:
                problems.append(f"{problem.stem}: {empty} empty formulas, {wide} elements "
                                f"past the window, {scrolls} scrolling blocks, page "
                                f"{page_width} px, errors {errors}")
            errors.clear()
        browser.close()
    assert not problems, "\n".join(problems)
