"""The terminal view: rich renderables built from a Solution (the only rich user besides
the CLI). Colour and width are the Console's business; user text and mathematics go in as
``Text``, never as markup.
Imports rich, matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from matcalc.model import Derivation, Math, Sentence, Solution
from matcalc.render import sentence as say
from matcalc.render.printers import grid, unicode


def line(sentence: Sentence, style: str = "") -> Text:
    return Text(say.fill(sentence, unicode), style=style)


def solution_view(solution: Solution, *, brief: bool = False, notes: tuple[Sentence, ...] = ()
                  ) -> RenderableType:
    problem = solution.problem
    parts: list[RenderableType] = [Text(problem.title or "Problem", style="bold")]
    given = Table.grid(padding=(0, 2))
    given.add_column(style="dim")
    given.add_column()
    for index, declared in enumerate(say.declarations(problem)):
        given.add_row("Given" if index == 0 else "", line(declared))
    for index, item in enumerate(problem.definitions):
        given.add_row("Define" if index == 0 else "", line(say.definition(item)))
    parts.append(given)
    parts.extend(line(note, "italic dim") for note in notes)
    parts.extend(derivation_view(d, brief=brief) for d in solution.derivations)
    return Group(*parts)


def derivation_view(derivation: Derivation, *, brief: bool = False) -> RenderableType:
    body: list[RenderableType] = []
    for remark in derivation.remarks[:1] if derivation.target.implied else ():
        body.append(line(remark, "italic"))
    lets = say.introduced(derivation)
    if lets:
        body.append(Text("Name the inner expressions:  " + "  ".join(
            say.fill(let, unicode) for let in lets), style="italic"))
    for path in say.chain_names(derivation):
        body.append(Text.assemble(("Dependency chain  ", "dim"), say.fill(path, unicode)))
    partials = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("partial derivative", "", "", "dimensions", "rule"):
        partials.add_column(column)
    for chain in derivation.chains:
        for link in chain.links:
            step = link.step
            partials.add_row(
                say.fill((say.partial_of(link.of_symbol, link.wrt_symbol, step.views),),
                         unicode),
                "=", unicode(step.value), unicode(step.shape), say.rule_title(step))
            for equation, space in say.view_lines(step.views, link.of_symbol,
                                                  link.wrt_symbol):
                partials.add_row("", "", say.fill(equation, unicode), say.fill(space, unicode),
                                 "")
    if derivation.chains:
        body.append(partials)
    if not brief:
        body.append(Text("Steps", style="bold"))
        number = 0
        for chain in derivation.chains:
            for link in chain.links:
                number += 1
                for depth, step in say.step_walk(link.step):
                    marker = f"{number}." if depth == 0 else "•"
                    indent = 3 * depth
                    # wrapped lines keep the step's hanging indent
                    body.append(Padding(Text.assemble(
                        f"{marker} ", (say.fill(say.step_line(step), unicode), "bold"),
                        ("  " + say.rule_title(step), "cyan")), (0, 0, 0, indent)))
                    body.append(Padding(Text(say.fill(say.explanation(step), unicode)),
                                        (0, 0, 0, indent + 3)))
                    for equation, space in say.view_lines(step.views, step.expr, step.wrt):
                        body.append(Padding(Text(say.fill(equation, unicode) + "   "
                                                 + say.fill(space, unicode)),
                                            (0, 0, 0, indent + 3)))
    if say.has_chain(derivation):
        body.append(Text("Chain rule", style="bold"))
        headline, paths, products = say.chain_rule(derivation)
        body.append(Padding(Text(say.fill(headline, unicode)), (0, 0, 0, 2)))
        body.extend(Padding(Text(say.fill(path, unicode), style="dim"), (0, 0, 0, 4))
                    for path in paths)
        body.append(Padding(Text(say.fill(products, unicode)), (0, 0, 0, 2)))
        if say.contracts(derivation):
            body.append(line(say.contraction(derivation), "italic"))
    body.append(Text.assemble(
        ("Result  ", "bold"),
        (say.fill((say.target(derivation), " = ", Math(derivation.result), " ∈ ",
                   Math(derivation.shape)), unicode), "bold green")))
    for equation, space in say.view_lines(derivation.views, derivation.of_symbol,
                                          derivation.wrt_symbol):
        body.append(Text("        " + say.fill(equation, unicode) + "   "
                         + say.fill(space, unicode)))
    if say.is_tensor(derivation.views):
        body.append(line(say.VEC_NOTE, "italic dim"))
    body.extend(explicit_view(derivation))
    for remark in derivation.remarks[1:] if derivation.target.implied else derivation.remarks:
        body.append(line(remark, "italic"))
    passed = derivation.checked is None or derivation.checked.passed
    checked = derivation.checked is not None and derivation.checked.trials > 0
    body.append(Text(("✓ " if checked and passed else "✗ " if not passed else "")
                     + say.fill(say.check(derivation.checked), unicode),
                     style="green" if passed else "bold red"))
    title = say.fill((say.target(derivation),), unicode)
    return Panel(Group(*body), title=Text(title), title_align="left", expand=True)


def explicit_view(derivation: Derivation) -> list[RenderableType]:
    """--dims: every slice ∂F/∂X_kl as a bracketed matrix, then ∂vec F/∂vec X."""
    explicit = derivation.explicit
    if explicit is None:
        return []
    slices = Table.grid(padding=(0, 3))
    cells = [Text(say.fill(say.explicit_slice(derivation, index), unicode) + "\n" + grid(m))
             for index, m in explicit.slices]
    for start in range(0, len(cells), 4):
        slices.add_row(*cells[start:start + 4])
    vec = say.fill((say.partial_of(derivation.of_symbol, derivation.wrt_symbol,
                                   derivation.views, True), " ="), unicode)
    return [Text(say.fill(say.explicit_heading(derivation), unicode), style="bold"), slices,
            Text(vec + "\n" + grid(explicit.vec))]


def render_text(solution: Solution, *, width: int = 100, brief: bool = False,
                notes: tuple[Sentence, ...] = ()) -> str:
    """The view as plain text at a fixed width (no colour): for files and golden tests."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False,
                      legacy_windows=False, highlight=False)
    console.print(solution_view(solution, brief=brief, notes=notes))
    return buffer.getvalue()
