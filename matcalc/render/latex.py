"""LaTeX for notes: a fragment by default, a complete amsmath document with standalone.

Sentences are filled with the LaTeX printer; their words are escaped for text mode. The
chain line puts each factor's dimensions under it with \\underbrace.
Imports matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from matcalc import functions
from matcalc.greek import LETTERS
from matcalc.model import Derivation, Problem, Sentence, Solution, Step
from matcalc.render import sentence as say
from matcalc.render.printers import Dims, Notation

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "←": r"$\leftarrow$", "→": r"$\to$", "∈": r"$\in$", "ℝ": r"$\mathbb{R}$",
    "∂": r"$\partial$", "×": r"$\times$", "✓": "", "✗": "", "−": r"$-$", "'": "'",
    "ᵀ": r"$^{\top}$", "Σ": r"$\Sigma$", "·": r"$\cdot$", "⊗": r"$\otimes$",
    "⊙": r"$\odot$", "δ": r"$\delta$", "²": r"$^2$", "⁻": r"$^{-}$", "¹": r"$^{1}$",
    "‖": r"$\|$", "½": r"$\frac{1}{2}$", "≠": r"$\neq$", "↦": r"$\mapsto$",
    "′": "'", "𝟏": r"$\mathbf{1}$", "≥": r"$\geq$", "≤": r"$\leq$", ">": r"$>$", "<": r"$<$",
    "—": r"\textemdash{}", "–": r"\textendash{}", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}",
    **{glyph: f"$\\{'epsilon' if name == 'eps' else name}$" for name, glyph in LETTERS.items()},
}


def words(text: str) -> str:
    """Plain words for LaTeX text mode (--no-check stays two hyphens, not a dash). A
    character the standard fonts cannot set (beyond Latin, Greek and the math symbols
    above: Cyrillic, CJK, a control character) is written as its code point, [U+0416], so
    that the document compiles and says what it could not set."""
    return "".join(_TEXT_ESCAPES.get(char, char if ord(char) <= 0x17F and (
        char.isprintable()) else f"[U+{ord(char):04X}]") for char in text).replace(
        "--", "-{}-")


def text(sentence: Sentence, notation: Notation) -> str:
    return say.fill_joined(sentence, notation.latex, words, lambda formula: f"${formula}$")


def derivation_latex(derivation: Derivation, notation: Notation, *, brief: bool = False
                     ) -> str:
    latex = notation.latex

    def said(sentence: Sentence) -> str:
        return text(sentence, notation)

    target = latex(say.target(derivation).expr)
    out = [f"\\subsubsection*{{\\boldmath $\\displaystyle {target}$}}", ""]
    for paragraph in say.opening(derivation):
        out += [said(paragraph), ""]
    rows = []
    for step, mark, views in say.partials(derivation):
        rows.append("  " + broken(f"{latex(mark)} &= {latex(step.value)} \\in "
                                  f"{latex(step.shape)} && \\text{{{words(say.rule_title(step))}}}",
                                  WIDTH - 16))
        rows.extend(f"  {row}" for row in view_rows(views, notation))
    if rows:
        out += ["\\begin{align*}", " \\\\\n".join(rows), "\\end{align*}"]
    if not brief and derivation.chains:
        out += ["\\begin{enumerate}"]
        for chain in derivation.chains:
            for link in chain.links:
                out.append(step_item(link.step, notation))
        out += ["\\end{enumerate}"]
    out.append("By the chain rule," if say.has_chain(derivation) else "So")
    out += ["\\begin{align*}",
            " \\\\\n".join(f"  {row}" for row in result_rows(derivation, notation)),
            "\\end{align*}"]
    if say.contracts(derivation):
        out.append(said(say.contraction(derivation)))
    if say.is_tensor(derivation.views):
        out.append(said(say.vec_note(derivation)))
    out += [sentence_case(said(remark)) for remark in say.remarks(derivation)]
    out += ["", said(say.check(derivation.checked)), ""]
    return "\n".join(out)


def definition_rows(problem: Problem, notation: Notation,
                    words_: Callable[[str], str] = str) -> list[str]:
    """The problem's definitions as alignment rows, aligned at their first "=" (LaTeX,
    Markdown and HTML alike)."""
    return [say.fill(say.definition(d, problem), notation.latex, words_).replace(" = ", " &= ", 1)
            for d in problem.definitions]


def result_rows(derivation: Derivation, notation: Notation) -> list[str]:
    """The alignment rows from the chain rule to the result: each chain with its factors'
    dimensions under them, its product, the result and its index and vec views. Markdown and
    HTML show the same rows."""
    latex = notation.latex
    target = latex(say.target(derivation).expr)
    rows = []
    for chain in derivation.chains if say.has_chain(derivation) else ():
        factors = " \\; ".join(
            f"\\underbrace{{{latex(say.partial_of(link.of_symbol, link.wrt_symbol, link.step.views).expr)}}}"  # noqa: E501
            f"_{{{latex(Dims(say.vec_shape(link.step)))}}}" for link in chain.links)
        rows.append(f"{target} &= {factors} \\in {latex(chain.shape)}")
        rows.append(f"&= {latex(chain.product)}")
    rows.append(f"{target} &= {latex(derivation.result)} \\in {latex(derivation.shape)}")
    rows.extend(view_rows(say.view_lines(derivation.views, derivation.of_symbol,
                                         derivation.wrt_symbol), notation))
    return [broken(row) for row in rows]


# ---- long rows: a display does not break by itself, so a row wider than the page is cut
# at its own spaces into continuation lines (a deep network's chain of 129 factors) -------

WIDTH = 72  # what fits right of the alignment, in characters of math (A4, 2.5 cm margins)
_SPACE = re.compile(r" (?:\\; )?")
_UNSEEN = re.compile(r"\\(?:left|right|boldsymbol|mathbf|mathrm|operatorname|text|mathbb|"
                     r"displaystyle)(?![A-Za-z])|[{}]")
_SCRIPT = re.compile(r"[_^](?:\{[^{}]*\}|.)")
_NAMED = re.compile(  # \\tanh, \\det: a function set as its name, as wide as its letters
    r"\\(?:" + "|".join(sorted((f.name for f in functions.ALL
                                 if f.latex == "\\" + f.name and f.name != "sqrt"),
                                key=len, reverse=True)) + r")(?![A-Za-z])")
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")
_OPERATORS = ("+", "-", "=", "\\otimes", "\\odot", "\\in")


def width(tex: str) -> float:
    """About how many characters wide a piece of math is set: a fraction or an underbrace
    the wider of its two parts, scripts less, font commands and \\left nothing, a named
    function its letters, any other command one."""
    stacked = _STACKED.search(tex)
    if stacked is not None:  # \\frac{a}{b}, \\underbrace{a}_{b}: the wider part
        first = _group_end(tex, stacked.end() - 1)
        second_start = tex.index("{", first)
        second = _group_end(tex, second_start)
        parts = tex[stacked.end():first - 1], tex[second_start + 1:second - 1]
        return (width(tex[:stacked.start()]) + max(map(width, parts))
                + width(tex[second:]))
    scripts = sum(0.7 * width(m.group(0)[1:]) for m in _SCRIPT.finditer(tex))
    tex = _SCRIPT.sub("", tex)
    tex = _NAMED.sub(lambda m: "x" * (len(m.group(0)) - 1), tex)
    tex = _COMMAND.sub("x", _UNSEEN.sub("", tex))
    return len(tex) + scripts


_LEFT, _RIGHT = re.compile(r"\\left(?![A-Za-z])"), re.compile(r"\\right(?![A-Za-z])")
_STACKED = re.compile(r"\\(?:[dt]?frac|underbrace)\{")


def _group_end(tex: str, start: int) -> int:
    """The index just past the brace group that opens at ``start``."""
    depth = 0
    for index in range(start, len(tex)):
        if tex[index] == "{" and tex[index - 1] != "\\":
            depth += 1
        elif tex[index] == "}" and tex[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(tex)


def pieces(tex: str, level: int = 0) -> list[str]:
    """The places a formula may break: its spaces outside braces and \\left…\\right, and
    inside at most ``level`` brackets (0: between the factors and terms themselves)."""
    out, braces, brackets, start, index = [], 0, 0, 0, 0
    while index < len(tex):
        escaped = index > 0 and tex[index - 1] == "\\"
        if _LEFT.match(tex, index) or (tex[index] == "{" and not escaped):
            braces += 1
        elif _RIGHT.match(tex, index) or (tex[index] == "}" and not escaped):
            braces -= 1
        elif tex[index] in "([" and not escaped:
            brackets += 1
        elif tex[index] in ")]" and not escaped:
            brackets -= 1
        elif braces == 0 and brackets <= level and (match := _SPACE.match(tex, index)):
            out.append(tex[start:index])
            start, index = index + 1, match.end()  # a thin space (\\;) stays with its piece
            continue
        index += 1
    return [*out, tex[start:]]


def fitting(tex: str, room: float, level: int = 0, depth: int = 0) -> list[str]:
    """Pieces no wider than ``room`` where that can be: a piece that is wider is broken
    inside its own outer bracket (the factors of a long product in brackets), or inside the
    first bracket that holds more than one factor (vec((A ⊙ B) C)), and so on."""
    out = []
    for piece in pieces(tex, depth):
        inner = next((k for k in range(1, 20) if len(pieces(piece, k)) > 1), None) if (
            width(piece) > room and level < 20) else None
        out.extend(fitting(piece, room, level + 1, inner) if inner is not None else [piece])
    return out


def broken(row: str, room: float = WIDTH) -> str:
    """An alignment row ``left &= right`` whose right side is wider than ``room`` as several
    lines, each continuing under the first after a quad; an operator starts a line. It
    breaks between factors and terms, and inside a bracket only when the bracket alone is
    wider than a line."""
    left, mark, right = row.partition("&=")
    right, label, note = right.partition("&&")  # a view's label stays at the end
    if not mark or width(right) <= room:
        return row
    if any(width(piece) > room for piece in fitting(right.strip(), room - 2)):
        # \left( … \right) cannot break across lines: plain brackets can, inside
        right = _RIGHT.sub("", _LEFT.sub("", right))
    lines: list[list[str]] = [[]]
    used = 0.0
    for piece in fitting(right.strip(), room - 2):
        size = width(piece) + 1
        if lines[-1] and used + size > room:
            carried = [lines[-1].pop()] if lines[-1][-1] in _OPERATORS else []
            lines.append(carried)
            used = sum(width(p) + 1 for p in carried) + 2  # the quad
        lines[-1].append(piece if lines[-1] else piece.removeprefix("\\; "))
        used += size
    return (f"{left}&= " + " \\\\\n  &\\quad ".join(" ".join(line) for line in lines if line)
            + (f" &&{note}" if label else ""))


def inline(tex: str, room: float) -> str:
    """A formula in running text that may break where a display row would (between factors
    and terms, \\left…\\right dropped so that TeX may break inside), when it is wider than
    ``room``; TeX breaks inline math only after an operator or where it is allowed."""
    if width(tex) <= room:
        return tex
    plain = _RIGHT.sub("", _LEFT.sub("", tex))
    return " \\allowbreak ".join(fitting(plain, room / 2))


def result_equation(derivation: Derivation) -> str:
    """df/dx = result ∈ ℝ^{…} as one display equation (a notebook's LaTeX view)."""
    latex = (Notation.of(derivation.problem) if derivation.problem else Notation()).latex
    target = latex(say.target(derivation).expr)
    return (f"$$ {target} = {latex(derivation.result)} \\in {latex(derivation.shape)} $$")


def sentence_case(words_: str) -> str:
    """A capital first letter and one full stop."""
    return words_[:1].upper() + words_[1:] + ("" if words_.endswith(".") else ".")


def view_rows(lines: say.ViewLines, notation: Notation) -> list[str]:
    """Alignment rows for the index and vec views."""
    latex = notation.latex
    rows = []
    for equation, space in lines:
        left, right = say.fill(equation, latex, words).split(" = ", 1)
        label = say.fill(space, latex, lambda w: f"\\text{{{words(w)}}}")
        rows.append(f"{left} &= {right} && {label}")
    return rows


def step_item(step: Step, notation: Notation) -> str:
    latex = notation.latex
    items = []
    for depth, sub in say.step_walk(step):
        mark = latex(say.partial_of(sub.expr, sub.wrt, sub.views).expr)
        formula = inline(f"{mark} = {latex(sub.value)} \\in\\nobreak {latex(sub.shape)}",
                         WIDTH - 4 * depth - 12)
        line = (f"{'  ' * depth}\\item ${formula}$ "
                f"(\\emph{{{words(say.rule_title(sub))}}}). "
                f"{text(say.explanation(sub), notation)}")
        items.append((depth, line))
    out: list[str] = []
    depth_now = 0
    for depth, line in items:
        while depth > depth_now:
            out.append("  " * depth_now + "\\begin{itemize}")
            depth_now += 1
        while depth < depth_now:
            depth_now -= 1
            out.append("  " * depth_now + "\\end{itemize}")
        out.append(line)
    while depth_now > 0:
        depth_now -= 1
        out.append("  " * depth_now + "\\end{itemize}")
    return "\n".join(out)


def solution_latex(solution: Solution, notation: Notation, *, brief: bool = False,
                   notes: tuple[Sentence, ...] = ()) -> str:
    problem = solution.problem
    out = [f"\\subsection*{{{words(problem.title or 'Problem')}}}", ""]
    given = [text(line, notation) for line in say.declarations(problem)]
    out += ["Given " + "; ".join(given) + ".", ""]
    rows = (f"  {row}" for row in definition_rows(problem, notation, words))
    out += ["\\begin{align*}", " \\\\\n".join(rows), "\\end{align*}"]
    out += [text(note, notation) for note in notes]
    out += [derivation_latex(d, notation, brief=brief) for d in solution.derivations]
    return "\n".join(out)


PREAMBLE = r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2.5cm]{geometry}
\emergencystretch=3em
\allowdisplaybreaks % a long table of partials may continue on the next page
\begin{document}
"""


def standalone(body: str) -> str:
    return PREAMBLE + body + "\n\\end{document}\n"
