"""LaTeX for notes: a fragment by default, a complete amsmath document with standalone.

Sentences are filled with the LaTeX printer; their words are escaped for text mode. The
chain line puts each factor's dimensions under it with \\underbrace.
Imports matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

from matcalc.model import Derivation, Sentence, Solution, Step
from matcalc.render import sentence as say
from matcalc.render.printers import Dims, PartialMark, latex

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "←": r"$\leftarrow$", "→": r"$\to$", "∈": r"$\in$", "ℝ": r"$\mathbb{R}$",
    "∂": r"$\partial$", "×": r"$\times$", "✓": "", "✗": "", "−": "-", "'": "'",
}


def words(text: str) -> str:
    """Plain words for LaTeX text mode."""
    return "".join(_TEXT_ESCAPES.get(char, char) for char in text)


def math(expr: object) -> str:
    return f"${latex(expr)}$"


def text(sentence: Sentence) -> str:
    return say.fill(sentence, math, words)


def derivation_latex(derivation: Derivation, *, brief: bool = False) -> str:
    target = latex(PartialMark(derivation.of_symbol, derivation.wrt_symbol, total=True))
    out = [f"\\paragraph{{${target}$}}", ""]
    if derivation.target.implied:
        out += [text(derivation.remarks[0]), ""]
    for path in say.chain_names(derivation):
        out += [f"Dependency chain: {text(path)}.", ""]
    rows = []
    for chain in derivation.chains:
        for link in chain.links:
            step = link.step
            rows.append(f"  {latex(PartialMark(link.of_symbol, link.wrt_symbol))} &= "
                        f"{latex(step.value)} \\in {latex(step.shape)} "
                        f"&& \\text{{{words(say.rule_title(step))}}}")
    if rows:
        out += ["\\begin{align*}", " \\\\\n".join(rows), "\\end{align*}"]
    if not brief:
        out += ["\\begin{enumerate}"]
        for chain in derivation.chains:
            for link in chain.links:
                out.append(step_item(link.step))
        out += ["\\end{enumerate}"]
    out.append("By the chain rule,")
    out.append("\\begin{align*}")
    lines = []
    for chain in derivation.chains:
        factors = " ".join(
            f"\\underbrace{{{latex(PartialMark(link.of_symbol, link.wrt_symbol))}}}"
            f"_{{{latex(Dims(link.step.shape))}}}" for link in chain.links)
        lines.append(f"  {target} &= {factors} \\in {latex(chain.shape)}")
        lines.append(f"  &= {latex(chain.product)}")
    lines.append(f"  {target} &= {latex(derivation.result)} \\in {latex(derivation.shape)}")
    out.append(" \\\\\n".join(lines))
    out.append("\\end{align*}")
    remarks = derivation.remarks[1:] if derivation.target.implied else derivation.remarks
    out += [text(remark).capitalize()[:1] + text(remark)[1:] + "." for remark in remarks]
    out += ["", text(say.check(derivation.checked)), ""]
    return "\n".join(out)


def step_item(step: Step) -> str:
    items = []
    for depth, sub in say.step_walk(step):
        line = (f"{'  ' * depth}\\item ${latex(PartialMark(sub.expr, sub.wrt))} = "
                f"{latex(sub.value)} \\in {latex(sub.shape)}$ "
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


def solution_latex(solution: Solution, *, brief: bool = False, notes: tuple[str, ...] = ()
                   ) -> str:
    problem = solution.problem
    out = [f"\\subsection*{{{words(problem.title or 'Problem')}}}", ""]
    given = [text(line) for line in say.declarations(problem)]
    out += ["Given " + "; ".join(given) + ".", ""]
    out += ["\\begin{align*}"]
    out.append(" \\\\\n".join("  " + say.fill(say.definition(d), latex, words).replace(
        " = ", " &= ", 1) for d in problem.definitions))
    out += ["\\end{align*}"]
    out += [words(note) for note in notes]
    out += [derivation_latex(d, brief=brief) for d in solution.derivations]
    return "\n".join(out)


PREAMBLE = r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2.5cm]{geometry}
\begin{document}
"""


def standalone(body: str) -> str:
    return PREAMBLE + body + "\n\\end{document}\n"
