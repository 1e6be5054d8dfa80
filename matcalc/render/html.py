"""HTML for the web and for Jupyter: one self-contained page (no network, no JavaScript),
the math in MathML, which current browsers render natively.

The math is the LaTeX printer's, converted by latex2mathml; the words are the sentences'
own, escaped for HTML. The page shows what the other formats show: the problem as
understood, the partials with their rules and dimensions, the steps, the chain product with
the sizes under each factor, the result with its views, and the check.
Imports latex2mathml, matcalc.model, render.latex, render.printers, render.sentence.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html import escape
from xml.etree.ElementTree import Element, tostring

from latex2mathml.converter import convert_to_element

from matcalc.model import Derivation, Sentence, Solution, Step
from matcalc.render import sentence as say
from matcalc.render.latex import broken, definition_rows, result_rows, view_rows, width
from matcalc.render.printers import Notation

STYLE = """
.matcalc { font-family: "Latin Modern Roman", "STIX Two Text", Georgia, serif;
  line-height: 1.5; color: #1a1a1a; }
main.matcalc { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
.matcalc math { font-family: "Latin Modern Math", "STIX Two Math", math; }
.matcalc h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.matcalc .display, .matcalc .table { overflow-x: auto; overflow-y: hidden; margin: .6rem 0; }
.matcalc h3 math, .matcalc td math { math-style: normal; }
.matcalc mtd[columnalign="right"] { text-align: right; padding: .15em 0; }
.matcalc mtd[columnalign="left"] { text-align: left; padding: .15em 0 .15em .2em; }
.matcalc table { border-collapse: collapse; }
.matcalc th, .matcalc td { text-align: left; padding: .25rem .8rem .25rem 0;
  border-bottom: 1px solid #e4e4e4; vertical-align: top; }
.matcalc .rule, .matcalc .note { font-style: italic; }
.matcalc .check.passed::before { content: "✓ "; color: #1a7f37; }
.matcalc .check.failed::before { content: "✗ "; }
.matcalc .check.failed { color: #c62828; }
@media print {
  main.matcalc { max-width: none; margin: 0; }
  .matcalc { font-size: 11pt; }
  .matcalc .display, .matcalc .table { overflow: visible; }
  .matcalc section.derivation { break-inside: avoid-page; }
  .matcalc h2, .matcalc h3 { break-after: avoid-page; }
}
"""


def words(text: str) -> str:
    return escape(text, quote=False)


_TALL = {"mfrac", "munder", "mover", "munderover", "mtable", "msqrt", "mroot"}
_SIGNS = {"&#x02212;", "-", "+", "&#x0002B;"}


def mathml(tex: str, *, block: bool = False) -> str:
    """The LaTeX as MathML, typeset as TeX would: latex2mathml's tree with brackets sized to
    what they hold, a sign at the start of a group as a sign, function names upright with
    TeX's thin space before them. (latex2mathml sets \\mathrm{d} in italics; \\text{d}
    is upright.)"""
    tree = convert_to_element(tex.replace(r"\mathrm{d}", r"\text{d}"),
                              display="block" if block else "inline")
    for parent in tree.iter():
        tidy(parent)
        styled(parent)
    xml = tostring(tree, encoding="unicode")
    return re.sub(r"&amp;(#x[0-9A-Fa-f]+;)", r"&\1", xml)  # latex2mathml's entities


def styled(node: Element) -> None:
    """Bold as MathML Core renders it: the mathematical alphanumeric letter itself (𝒙, 𝝁,
    𝟏), since browsers ignore mathvariant other than normal."""
    variant = node.get("mathvariant")
    if variant in {"bold", "bold-italic"} and node.text:
        style = "BOLD ITALIC" if variant == "bold-italic" else "BOLD"
        node.text = "".join(bold(char, style) for char in html.unescape(node.text))
        del node.attrib["mathvariant"]


def bold(char: str, style: str) -> str:
    """x → 𝒙 (LATIN SMALL LETTER X → MATHEMATICAL BOLD ITALIC SMALL X), μ → 𝝁, 1 → 𝟏."""
    name = unicodedata.name(char, "")
    match = re.fullmatch(r"(?:LATIN|GREEK) (SMALL|CAPITAL) LETTER (\w+)|DIGIT (\w+)", name)
    if match is None:
        return char
    case, letter, digit = match.groups()
    wanted = (f"MATHEMATICAL BOLD DIGIT {digit}" if digit else
              f"MATHEMATICAL {style} {case} {letter}")
    try:
        return unicodedata.lookup(wanted)
    except KeyError:
        return char


def tidy(parent: Element) -> None:
    children = list(parent)
    if (len(children) >= 2 and children[0].get("form") == "prefix"
            and children[-1].get("form") == "postfix"
            and not any(node.tag in _TALL and node.get("accent") != "true"  # ŷ is not tall
                        for child in children for node in child.iter())):
        children[0].set("stretchy", "false")  # a stretched bracket around one line of
        children[-1].set("stretchy", "false")  # text takes a bigger glyph with wide sides
    for index, child in enumerate(children):
        before = children[index - 1] if index else None
        if child.tag == "mo" and (child.text or "").isalpha():
            child.tag = "mi"  # \\operatorname{tr} is a name, not an operator
        if child.tag == "mo" and child.text in _SIGNS and (before is None or before.tag == "mo"):
            child.set("form", "prefix")
        elif (child.tag == "mi" and len(child.text or "") > 1 and before is not None
              and before.tag != "mo" and not (child.text or "").startswith("&")):
            space = Element("mspace", width="0.1667em")
            parent.insert(list(parent).index(child), space)


def math(expr: object, notation: Notation) -> str:
    return mathml(notation.latex(expr))


def text(sentence: Sentence, notation: Notation) -> str:
    return say.fill_joined(sentence, notation.latex, words, mathml)


def display(rows: list[str]) -> str:
    """Aligned rows of LaTeX as one block of MathML that scrolls if it is wider than the
    page, never the page itself."""
    body = "\\begin{align*}" + " \\\\ ".join(rows) + "\\end{align*}"
    return f'<div class="display">{mathml(body, block=True)}</div>'


def step_item(step: Step, notation: Notation) -> str:
    """A numbered step with the inner steps it uses as a nested list."""
    latex = notation.latex

    def item(sub: Step) -> str:
        mark = latex(say.partial_of(sub.expr, sub.wrt, sub.views).expr)
        formula = fitted(f"{mark} &= {latex(sub.value)} \\in {latex(sub.shape)}", ROOM)
        return (f'{formula} (<span class="rule">{words(say.rule_title(sub))}</span>). '
                f"{text(say.explanation(sub), notation)}")

    def nested(sub: Step, depth: int) -> str:
        inner = "".join(f"<li>{nested(child, depth + 1)}</li>"
                        for level, child in say.step_walk(sub, depth) if level == depth + 1)
        return item(sub) + (f"<ul>{inner}</ul>" if inner else "")

    return f"<li>{nested(step, 0)}</li>"


ROOM = 62  # characters of math a line of the 800 px page holds beside a list's indent


def fitted(row: str, room: float) -> str:
    """An equation ``left &= right`` inline when it fits in ``room``, else as a display of
    its own broken into lines (MathML in a browser does not wrap an inline formula)."""
    if width(unaligned(row)) <= room:
        return mathml(unaligned(row))
    left, _, right = row.partition("&=")
    if width(left) > room / 2:  # a long left side on a line of its own, "= …" under it
        return display([f"&{left.strip()} \\\\ " + broken(f"&= {right.strip()}", room)])
    return display([broken(row, room)])


def unaligned(row: str) -> str:
    """An alignment row as one inline formula."""
    return row.replace("&&", r"\quad ").replace("&", "")


def partials_table(derivation: Derivation, notation: Notation) -> str:
    latex = notation.latex
    rows = []
    for step, mark, lines in say.partials(derivation):
        views = "".join(f"<br>{mathml(unaligned(row))}" for row in view_rows(lines, notation))
        formula = fitted(f"{latex(mark)} &= {latex(step.value)}", ROOM - 25)
        rows.append(f"<tr><td>{formula}{views}</td>"
                    f"<td>{math(step.shape, notation)}</td>"
                    f'<td class="rule">{words(say.rule_title(step))}</td></tr>')
    if not rows:
        return ""
    return ('<div class="table"><table><thead><tr><th>partial derivative</th>'
            "<th>dimensions</th><th>rule</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>")


def derivation_html(derivation: Derivation, notation: Notation, *, brief: bool = False) -> str:
    def said(sentence: Sentence) -> str:
        return text(sentence, notation)

    target = say.target(derivation).expr
    out = [f'<section class="derivation"><h3>{math(target, notation)}</h3>']
    out += [f"<p>{said(paragraph)}</p>" for paragraph in say.opening(derivation)]
    out.append(partials_table(derivation, notation))
    if not brief and derivation.chains:
        out.append("<ol>" + "".join(step_item(link.step, notation)
                                    for chain in derivation.chains
                                    for link in chain.links) + "</ol>")
    out.append("<p>By the chain rule,</p>" if say.has_chain(derivation) else "<p>So</p>")
    out.append(display(result_rows(derivation, notation)))
    if say.contracts(derivation):
        out.append(f"<p>{said(say.contraction(derivation))}</p>")
    if say.is_tensor(derivation.views):
        out.append(f"<p>{said(say.vec_note(derivation))}</p>")
    out += [f"<p>{said(remark)}</p>" for remark in say.remarks(derivation)]
    status = say.check_status(derivation.checked)
    out.append(f'<p class="check {status}">{said(say.check(derivation.checked))}</p>')
    out.append("</section>")
    return "\n".join(out)


def solution_html(solution: Solution, notation: Notation, *, brief: bool = False,
                  notes: tuple[Sentence, ...] = ()) -> str:
    problem = solution.problem
    out = [f'<section class="problem"><h2>{words(problem.title or "Problem")}</h2>']
    given = [text(line, notation) for line in say.declarations(problem)]
    out.append("<p>Given " + "; ".join(given) + ".</p>")
    if problem.definitions:
        out.append(display(definition_rows(problem, notation)))
    out += [f'<p class="note">{text(note, notation)}</p>' for note in notes]
    out += [derivation_html(d, notation, brief=brief) for d in solution.derivations]
    out.append("</section>")
    return "\n".join(out)


def page(body: str, title: str) -> str:
    """A complete page: the body with its style sheet, readable with no network."""
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{words(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f'<main class="matcalc">\n{body}\n</main>\n</body>\n</html>\n')


def fragment(body: str) -> str:
    """The body with its style sheet, for a notebook cell (every rule is scoped to the
    fragment's class, so the notebook's own style is untouched)."""
    return f'<div class="matcalc"><style>{STYLE}</style>\n{body}\n</div>'
