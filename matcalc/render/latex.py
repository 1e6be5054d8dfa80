"""LaTeX for notes: a fragment by default, a complete amsmath document with standalone.

Sentences are filled with the LaTeX printer; their words are escaped for text mode. The
chain line puts each factor's dimensions under it with \\underbrace.
Imports matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

from matcalc.greek import LETTERS
from matcalc.model import Derivation, Sentence, Solution, Step
from matcalc.render import sentence as say
from matcalc.render.printers import Dims, latex

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "←": r"$\leftarrow$", "→": r"$\to$", "∈": r"$\in$", "ℝ": r"$\mathbb{R}$",
    "∂": r"$\partial$", "×": r"$\times$", "✓": "", "✗": "", "−": r"$-$", "'": "'",
    "ᵀ": r"$^{\top}$", "Σ": r"$\Sigma$", "·": r"$\cdot$", "⊗": r"$\otimes$",
    "⊙": r"$\odot$", "δ": r"$\delta$", "²": r"$^2$", "⁻": r"$^{-}$", "¹": r"$^{1}$",
    "‖": r"$\|$", "½": r"$\frac{1}{2}$", "≠": r"$\neq$", "↦": r"$\mapsto$",
    "′": "'", "𝟏": r"$\mathbf{1}$",
    **{glyph: f"$\\{'epsilon' if name == 'eps' else name}$" for name, glyph in LETTERS.items()},
}


def words(text: str) -> str:
    """Plain words for LaTeX text mode (--no-check stays two hyphens, not a dash)."""
    return "".join(_TEXT_ESCAPES.get(char, char) for char in text).replace("--", "-{}-")


def math(expr: object) -> str:
    return f"${latex(expr)}$"


def text(sentence: Sentence) -> str:
    return say.fill_joined(sentence, latex, words, lambda formula: f"${formula}$")


def derivation_latex(derivation: Derivation, *, brief: bool = False) -> str:
    target = latex(say.target(derivation).expr)
    out = [f"\\subsubsection*{{\\boldmath $\\displaystyle {target}$}}", ""]
    for paragraph in say.opening(derivation):
        out += [text(paragraph), ""]
    rows = []
    for step, mark, views in say.partials(derivation):
        rows.append(f"  {latex(mark)} &= {latex(step.value)} \\in {latex(step.shape)} "
                    f"&& \\text{{{words(say.rule_title(step))}}}")
        rows.extend(f"  {row}" for row in view_rows(views))
    if rows:
        out += ["\\begin{align*}", " \\\\\n".join(rows), "\\end{align*}"]
    if not brief:
        out += ["\\begin{enumerate}"]
        for chain in derivation.chains:
            for link in chain.links:
                out.append(step_item(link.step))
        out += ["\\end{enumerate}"]
    out.append("By the chain rule," if say.has_chain(derivation) else "So")
    out += ["\\begin{align*}", " \\\\\n".join(f"  {row}" for row in result_rows(derivation)),
            "\\end{align*}"]
    if say.contracts(derivation):
        out.append(text(say.contraction(derivation)))
    if say.is_tensor(derivation.views):
        out.append(text(say.vec_note(derivation)))
    out += [sentence_case(text(remark)) for remark in say.remarks(derivation)]
    out += ["", text(say.check(derivation.checked)), ""]
    return "\n".join(out)


def result_rows(derivation: Derivation) -> list[str]:
    """The alignment rows from the chain rule to the result: each chain with its factors'
    dimensions under them, its product, the result and its index and vec views. Markdown and
    HTML show the same rows."""
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
                                         derivation.wrt_symbol)))
    return rows


def result_equation(derivation: Derivation) -> str:
    """df/dx = result ∈ ℝ^{…} as one display equation (a notebook's LaTeX view)."""
    target = latex(say.target(derivation).expr)
    return (f"$$ {target} = {latex(derivation.result)} \\in {latex(derivation.shape)} $$")


def sentence_case(words_: str) -> str:
    """A capital first letter and one full stop."""
    return words_[:1].upper() + words_[1:] + ("" if words_.endswith(".") else ".")


def view_rows(lines: say.ViewLines) -> list[str]:
    """Alignment rows for the index and vec views."""
    rows = []
    for equation, space in lines:
        left, right = say.fill(equation, latex, words).split(" = ", 1)
        label = say.fill(space, latex, lambda w: f"\\text{{{words(w)}}}")
        rows.append(f"{left} &= {right} && {label}")
    return rows


def step_item(step: Step) -> str:
    items = []
    for depth, sub in say.step_walk(step):
        mark = latex(say.partial_of(sub.expr, sub.wrt, sub.views).expr)
        line = (f"{'  ' * depth}\\item ${mark} = "
                f"{latex(sub.value)} \\in\\nobreak {latex(sub.shape)}$ "
                f"(\\emph{{{words(say.rule_title(sub))}}}). {text(say.explanation(sub))}")
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


def solution_latex(solution: Solution, *, brief: bool = False, notes: tuple[Sentence, ...] = ()
                   ) -> str:
    problem = solution.problem
    out = [f"\\subsection*{{{words(problem.title or 'Problem')}}}", ""]
    given = [text(line) for line in say.declarations(problem)]
    out += ["Given " + "; ".join(given) + ".", ""]
    out += ["\\begin{align*}"]
    out.append(" \\\\\n".join("  " + say.fill(say.definition(d, problem), latex, words).replace(
        " = ", " &= ", 1) for d in problem.definitions))
    out += ["\\end{align*}"]
    out += [text(note) for note in notes]
    out += [derivation_latex(d, brief=brief) for d in solution.derivations]
    return "\n".join(out)


PREAMBLE = r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2.5cm]{geometry}
\emergencystretch=3em
\begin{document}
"""


def standalone(body: str) -> str:
    return PREAMBLE + body + "\n\\end{document}\n"
