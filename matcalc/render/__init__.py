"""Solutions → text, LaTeX, Markdown, HTML or JSON. Each format's module is imported when
it is asked for, so ``import matcalc`` never loads rich or latex2mathml.
"""

from __future__ import annotations

from typing import Any

from matcalc.model import Sentence, Solution

FORMATS = ("text", "latex", "markdown", "html", "json")


def render_all(solutions: list[Solution], fmt: str, *, standalone: bool = False,
               width: int = 100, brief: bool = False, fragment: bool = False,
               latex_style: str = "bold") -> str:
    """Every solution in one document of the format (HTML: a complete page, or with
    ``fragment`` a styled block for a notebook cell). ``latex_style`` "bold" sets vectors
    and matrices in bold as MML does, "plain" in italics, wherever the math is LaTeX. Each
    solution prints in its own notation: the orders its problem wrote, the style."""
    from matcalc.render.printers import Notation

    notations = [Notation.of(s.problem, latex_style) for s in solutions]
    pairs = list(zip(solutions, notations, strict=True))
    if fmt == "json":
        from matcalc.render.json import dumps

        return dumps(solutions, latex_style)
    if fmt == "latex":
        from matcalc.render import latex

        stated: set[str] = set()
        body = "\n".join(latex.solution_latex(s, n, brief=brief, notes=notes(s, stated))
                         for s, n in pairs)
        return latex.standalone(body) if standalone else body
    if fmt == "markdown":
        from matcalc.render.markdown import solution_markdown

        told: set[str] = set()
        return "\n".join(solution_markdown(s, n, brief=brief, notes=notes(s, told))
                         for s, n in pairs)
    if fmt == "html":
        from matcalc.render import html

        shown: set[str] = set()
        body = "\n".join(html.solution_html(s, n, brief=brief, notes=notes(s, shown))
                         for s, n in pairs)
        if fragment:
            return html.fragment(body)
        title = "; ".join(s.problem.title or "Problem" for s in solutions)
        return html.page(body, f"matcalc: {title}")
    if fmt == "text":
        from matcalc.render.text import render_text

        said: set[str] = set()
        return "\n".join(render_text(s, n, width=width, brief=brief, notes=notes(s, said))
                         for s, n in pairs)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def notes(solution: Solution, stated: set[str] | None = None) -> tuple[Sentence, ...]:
    """The layout note: which convention the derivatives below are written in, once per
    output (``stated`` holds the layouts already explained)."""
    from matcalc.render.sentence import layout_note

    layouts = {d.layout for d in solution.derivations} - (stated or set())
    if stated is not None:
        stated |= layouts
    first = next((d for d in solution.derivations
                  if d.target.order == 1 and d.taylor is None), None)
    names = (first.of_symbol, first.wrt_symbol) if first is not None else ()
    return tuple(layout_note(layout, *names) for layout in sorted(layouts))


def render(solution: Solution, fmt: str, **options: Any) -> str:
    return render_all([solution], fmt, **options)

