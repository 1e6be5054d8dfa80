"""Markdown for notes (GitHub, Obsidian, Jupyter): headings, a table of the partials, a
numbered list of the steps, and math in $…$ and $$…$$ with only the macros their MathJax
knows (no preamble needed).

The math is the LaTeX printer's; the words are the sentences' own, escaped for Markdown.
Imports matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

from matcalc.model import Derivation, Sentence, Solution, Step
from matcalc.render import sentence as say
from matcalc.render.latex import definition_rows, result_rows
from matcalc.render.printers import Notation

# Markdown's own marks in words: emphasis, code, tables, and the brackets of links and
# images ([text](url), ![alt](url), <url>) as entities, so that a title cannot make a link or
# load a remote image (a backslash before a bracket would open MathJax's \\[ display)
_ESCAPES = {"\\": "\\\\", "*": "\\*", "_": "\\_", "`": "\\`", "|": "\\|", "<": "&lt;",
            "[": "&#91;", "]": "&#93;"}


def words(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in text)


def cell_math(notation: Notation, *exprs: object) -> str:
    """Math inside a table cell, where a bare | would end the cell; several expressions
    are joined by =."""
    body = " = ".join(notation.latex(expr) for expr in exprs)
    return "$" + body.replace("\\|", "\\Vert ").replace("|", "\\vert ") + "$"


def text(sentence: Sentence, notation: Notation) -> str:
    return say.fill_joined(sentence, notation.latex, words, lambda formula: f"${formula}$")


def display(lines: list[str]) -> list[str]:
    """A $$ block of aligned lines."""
    return ["$$", "\\begin{aligned}", " \\\\\n".join(lines), "\\end{aligned}", "$$", ""]


def step_items(step: Step, number: int, notation: Notation) -> list[str]:
    latex = notation.latex
    out = []
    for depth, sub in say.step_walk(step):
        mark = latex(say.partial_of(sub.expr, sub.wrt, sub.views).expr)
        bullet = f"{number}." if depth == 0 else "-"
        out.append(f"{'   ' * depth}{bullet} ${mark} = {latex(sub.value)} \\in "
                   f"{latex(sub.shape)}$ (*{words(say.rule_title(sub))}*). "
                   f"{text(say.explanation(sub), notation)}")
    return out


def derivation_markdown(derivation: Derivation, notation: Notation, *, brief: bool = False
                        ) -> str:
    def said(sentence: Sentence) -> str:
        return text(sentence, notation)

    target = notation.latex(say.target(derivation).expr)
    out = [f"### ${target}$", ""]
    for paragraph in say.opening(derivation):
        out += [said(paragraph), ""]
    rows = [f"| {cell_math(notation, mark, step.value)} | {cell_math(notation, step.shape)} | "
            f"{words(say.rule_title(step))} |" for step, mark, _ in say.partials(derivation)]
    if rows:
        out += ["| partial derivative | dimensions | rule |", "| --- | --- | --- |", *rows, ""]
    if not brief:
        number = 0
        for chain in derivation.chains:
            for link in chain.links:
                number += 1
                out += step_items(link.step, number, notation)
        out.append("")
    out += ["By the chain rule," if say.has_chain(derivation) else "So", ""]
    lines = result_rows(derivation, notation)
    out += display(lines)
    if say.contracts(derivation):
        out += [said(say.contraction(derivation)), ""]
    if say.is_tensor(derivation.views):
        out += [said(say.vec_note(derivation)), ""]
    out += [f"{said(remark)}\n" for remark in say.remarks(derivation)]
    mark = say.CHECK_MARKS[say.check_status(derivation.checked)]
    out += [f"{mark}{said(say.check(derivation.checked))}", ""]
    return "\n".join(out)


def solution_markdown(solution: Solution, notation: Notation, *, brief: bool = False,
                      notes: tuple[Sentence, ...] = ()) -> str:
    problem = solution.problem
    out = [f"## {words(problem.title or 'Problem')}", ""]
    given = [text(line, notation) for line in say.declarations(problem)]
    out += ["Given " + "; ".join(given) + ".", ""]
    out += display(definition_rows(problem, notation))
    out += [f"*{text(note, notation)}*\n" for note in notes]
    out += [derivation_markdown(d, notation, brief=brief) for d in solution.derivations]
    return "\n".join(out)
