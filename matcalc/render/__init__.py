"""Solutions → text, LaTeX, Markdown, HTML or JSON. Each format's module is imported when
it is asked for, so ``import matcalc`` never loads rich or latex2mathml.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from matcalc.model import Sentence, Solution

FORMATS = ("text", "latex", "markdown", "html", "json")


def render_all(solutions: list[Solution], fmt: str, *, standalone: bool = False,
               width: int = 100, brief: bool = False, fragment: bool = False,
               latex_style: str = "bold") -> str:
    """Every solution in one document of the format (HTML: a complete page, or with
    ``fragment`` a styled block for a notebook cell). ``latex_style`` "bold" sets vectors
    and matrices in bold as MML does, "plain" in italics, wherever the math is LaTeX."""
    with printing(solutions, latex_style):
        return _render_all(solutions, fmt, standalone=standalone, width=width, brief=brief,
                           fragment=fragment)


@contextmanager
def printing(solutions: list[Solution], latex_style: str = "bold") -> Iterator[None]:
    """How the formulas of these solutions print: the LaTeX style, and each sum a problem
    wrote in the order it wrote its terms."""
    from matcalc.render.printers import latex_style as style
    from matcalc.render.printers import printed_once, written_orders

    orders = {total: terms for s in solutions for total, terms in s.problem.written_orders}
    with style(latex_style), written_orders(orders), printed_once():
        yield


def _render_all(solutions: list[Solution], fmt: str, *, standalone: bool, width: int,
                brief: bool, fragment: bool) -> str:
    if fmt == "json":
        from matcalc.render.json import dumps

        return dumps(solutions)
    if fmt == "latex":
        from matcalc.render import latex

        stated: set[str] = set()
        body = "\n".join(latex.solution_latex(s, brief=brief, notes=notes(s, stated))
                         for s in solutions)
        return latex.standalone(body) if standalone else body
    if fmt == "markdown":
        from matcalc.render.markdown import solution_markdown

        told: set[str] = set()
        return "\n".join(solution_markdown(s, brief=brief, notes=notes(s, told))
                         for s in solutions)
    if fmt == "html":
        from matcalc.render import html

        shown: set[str] = set()
        body = "\n".join(html.solution_html(s, brief=brief, notes=notes(s, shown))
                         for s in solutions)
        if fragment:
            return html.fragment(body)
        title = "; ".join(s.problem.title or "Problem" for s in solutions)
        return html.page(body, f"matcalc: {title}")
    if fmt == "text":
        from matcalc.render.text import render_text

        said: set[str] = set()
        return "\n".join(render_text(s, width=width, brief=brief, notes=notes(s, said))
                         for s in solutions)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def notes(solution: Solution, stated: set[str] | None = None) -> tuple[Sentence, ...]:
    """The layout note: which convention the derivatives below are written in, once per
    output (``stated`` holds the layouts already explained)."""
    from matcalc.render.sentence import LAYOUT_NOTES

    layouts = {d.layout for d in solution.derivations} - (stated or set())
    if stated is not None:
        stated |= layouts
    return tuple(LAYOUT_NOTES[layout] for layout in sorted(layouts))


def render(solution: Solution, fmt: str, **options: Any) -> str:
    return render_all([solution], fmt, **options)

