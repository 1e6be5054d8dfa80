"""The terminal view: rich renderables built from a Solution (the only rich user besides
the CLI). Colour and width are the Console's business; user text and mathematics go in as
``Text``, never as markup.
Imports rich, matcalc.model, render.printers, render.sentence.
"""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from matcalc.errors import visible
from matcalc.model import Derivation, Math, Sentence, Solution
from matcalc.render import sentence as say
from matcalc.render.printers import Notation, grid

Piece = tuple[str, str, bool]  # text, rich style, whether it is a formula (never broken)


class Prose:
    """Words and formulas wrapped to the width rich offers: a line breaks between words or
    around a formula, never inside one (not "1/(z +⏎1)"); a formula wider than a whole line
    starts a line of its own and only then breaks at its own spaces. Lines after the first
    hang under the first line's text (past ``lead``, such as "1. ")."""

    def __init__(self, pieces: list[Piece], lead: str = "") -> None:
        self.lead = lead
        self.words: list[list[tuple[str, str]]] = [[]]
        for text, style, formula in pieces:
            chunks = [text] if formula else text.split(" ")
            for index, chunk in enumerate(chunks):
                if index:
                    self.words.append([])  # a space between words: a place to break
                if chunk:
                    self.words[-1].append((chunk, style))
        self.words = [word for word in self.words if word]

    @staticmethod
    def width(word: list[tuple[str, str]]) -> int:
        return sum(cell_len(text) for text, _ in word)

    def fitted(self, width: int) -> list[list[tuple[str, str]]]:
        """The words, a formula wider than a whole line cut at its own spaces (the only
        place a formula is ever broken); what follows it without a space stays on."""
        out: list[list[tuple[str, str]]] = []
        for word in self.words:
            if self.width(word) <= width:
                out.append(word)
                continue
            cut: list[list[tuple[str, str]]] = [[]]
            for text, style in word:
                for index, part in enumerate(text.split(" ")):
                    if index:
                        cut.append([])
                    if part:
                        cut[-1].append((part, style))
            out.extend(piece for piece in cut if piece)
        return out

    def lines(self, width: int) -> list[Text]:
        hang = cell_len(self.lead)
        lines: list[Text] = []
        current = Text(self.lead)
        used = hang
        for word in self.fitted(width - hang):
            size = self.width(word)
            if used > hang and used + 1 + size > width:
                lines.append(current)
                current, used = Text(" " * hang), hang
            if used > hang:
                current.append(" ")
                used += 1
            for text, style in word:
                current.append(text, style)
            used += size
        lines.append(current)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)  # rich wraps a formula wider than a line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((self.width(w) for w in self.words), default=0) + cell_len(self.lead)
        total = sum(self.width(w) for w in self.words) + max(len(self.words) - 1, 0)
        return Measurement(min(widest, options.max_width),
                           min(total + cell_len(self.lead), options.max_width))


class Partials:
    """The partial derivatives as a table (name = value, dimensions, rule) when it fits the
    width; otherwise one line each, so that no formula is broken to squeeze a column."""

    def __init__(self, derivation: Derivation, notation: Notation) -> None:
        self.notation = notation
        unicode = notation.unicode
        self.rows: list[tuple[str, str, str, str]] = []
        self.views: list[list[Sentence]] = []
        for step, mark, lines in say.partials(derivation):
            self.rows.append((unicode(mark), unicode(step.value), unicode(step.shape),
                              say.rule_title(step)))
            self.views.append([viewed(equation, space) for equation, space in lines])

    def width(self) -> int:
        """The table's natural width: each column as wide as its widest cell or header,
        two spaces between columns."""
        names, values, shapes, rules = zip(*self.rows, strict=True)
        views = [cell_len(say.fill(view, self.notation.unicode)) for rows in self.views
                 for view in rows]
        return (max(cell_len("partial derivative"), *map(cell_len, names)) + 1
                + max(*map(cell_len, values), *views, 0)
                + max(cell_len("dimensions"), *map(cell_len, shapes))
                + max(cell_len("rule"), *map(cell_len, rules)) + 2 * 4)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.width() <= options.max_width:
            table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
            table.add_column("partial derivative", no_wrap=True)
            table.add_column("", no_wrap=True)
            for header in ("", "dimensions", "rule"):
                table.add_column(header, no_wrap=True)
            for (name, value, shape, rule), views in zip(self.rows, self.views, strict=True):
                table.add_row(name, "=", value, shape, rule)
                for view in views:
                    table.add_row("", "", line(view, self.notation), "", "")
            yield table
            return
        yield Text("Partial derivatives", style="bold")
        for (name, value, shape, rule), views in zip(self.rows, self.views, strict=True):
            yield Prose([(name, "", True), (" =", "", False), (" " + value, "", True),
                         (" ∈ ", "", False), (shape, "", True), (f" ({rule})", "cyan", False)])
            yield from (Padding(line(view, self.notation), (0, 0, 0, 2)) for view in views)


def viewed(equation: Sentence, space: Sentence) -> Sentence:
    """∂K_ij/∂R_kl = … (tensor in ℝ^{…}); the space in brackets when there is one."""
    return (*equation, " (", *space, ")") if space else equation


def pieces(sentence: Sentence, notation: Notation, style: str = "") -> list[Piece]:
    return [(part, style, False) if isinstance(part, str) else
            (notation.unicode(part.expr), style, True) for part in sentence]


def line(sentence: Sentence, notation: Notation, style: str = "", lead: str = "") -> Prose:
    return Prose(pieces(sentence, notation, style), lead)


def solution_view(solution: Solution, notation: Notation, *, brief: bool = False,
                  notes: tuple[Sentence, ...] = ()) -> RenderableType:
    problem = solution.problem
    parts: list[RenderableType] = [Text(visible(problem.title or "Problem"), style="bold")]
    given = Table.grid(padding=(0, 2))
    given.add_column(style="dim")
    given.add_column()
    for index, declared in enumerate(say.declarations(problem)):
        given.add_row("Given" if index == 0 else "", line(declared, notation))
    for index, item in enumerate(problem.definitions):
        given.add_row("Define" if index == 0 else "",
                      line(say.definition(item, problem), notation))
    parts.append(given)
    parts.extend(line(note, notation, "italic dim") for note in notes)
    parts.extend(derivation_view(d, notation, brief=brief) for d in solution.derivations)
    return Group(*parts)


def derivation_view(derivation: Derivation, notation: Notation, *, brief: bool = False
                    ) -> RenderableType:
    body: list[RenderableType] = []
    for remark in derivation.remarks[:1] if derivation.target.implied else ():
        body.append(line(remark, notation, "italic"))
    if derivation.taylor is not None:
        body.append(line(say.taylor(derivation), notation))
    elif derivation.gradient is not None:
        body.append(line(say.gradient(derivation), notation))
    lets = say.introduced(derivation)
    if lets:
        body.append(Prose([("Name the inner expressions: ", "italic", False)] + [
            piece for let in lets for piece in pieces((" ", *let), notation, "italic")]))
    for path in say.chain_names(derivation):
        body.append(Prose([("Dependency chain  ", "dim", False), *pieces(path, notation)]))
    if derivation.chains:
        body.append(Partials(derivation, notation))
    if not brief and derivation.chains:
        body.append(Text("Steps", style="bold"))
        number = 0
        for chain in derivation.chains:
            for link in chain.links:
                number += 1
                top = f"{number}. "
                for depth, step in say.step_walk(link.step):
                    lead = top if depth == 0 else "• "  # an inner step sits under the text
                    indent = 0 if depth == 0 else len(top) + 2 * (depth - 1)  # of its parent
                    body.append(Padding(Prose(
                        [*pieces(say.step_line(step), notation, "bold"),
                         (f" ({say.rule_title(step)})", "cyan", False)], lead=lead),
                        (0, 0, 0, indent)))
                    body.append(Padding(line(say.explanation(step), notation),
                                        (0, 0, 0, indent + len(lead))))
    if say.has_chain(derivation):
        body.append(Text("Chain rule", style="bold"))
        headline, paths, products = say.chain_rule(derivation)
        body.append(Padding(line(headline, notation), (0, 0, 0, 2)))
        body.extend(Padding(line(path, notation, "dim"), (0, 0, 0, 4)) for path in paths)
        body.append(Padding(line(products, notation), (0, 0, 0, 2)))
        if say.contracts(derivation):
            body.append(line(say.contraction(derivation), notation, "italic"))
    body.append(line((say.target(derivation), " = ", Math(derivation.result), " ∈ ",
                      Math(derivation.shape)), notation, "bold green", lead="Result  "))
    for equation, space in say.view_lines(derivation.views, derivation.of_symbol,
                                          derivation.wrt_symbol):
        body.append(Padding(line(viewed(equation, space), notation), (0, 0, 0, 8)))
    if say.is_tensor(derivation.views):
        body.append(line(say.vec_note(derivation), notation, "italic dim"))
    body.extend(explicit_view(derivation, notation))
    body.extend(line(remark, notation, "italic") for remark in say.remarks(derivation))
    status = say.check_status(derivation.checked)
    body.append(line(say.check(derivation.checked), notation,
                     "bold red" if status == "failed" else "green",
                     lead=say.CHECK_MARKS[status]))
    title = say.fill((say.target(derivation),), notation.unicode)
    return Panel(Group(*body), title=Text(title), title_align="left", expand=True)


def explicit_view(derivation: Derivation, notation: Notation) -> list[RenderableType]:
    """--dims: every slice ∂F/∂X_kl as a bracketed matrix, then ∂vec F/∂vec X."""
    explicit = derivation.explicit
    if explicit is None:
        return []
    slices = Table.grid(padding=(0, 3))
    unicode = notation.unicode
    cells = [Text(say.fill(say.explicit_slice(derivation, index), unicode) + "\n" + grid(m))
             for index, m in explicit.slices]
    for start in range(0, len(cells), 4):
        slices.add_row(*cells[start:start + 4])
    vec = say.fill((say.partial_of(derivation.of_symbol, derivation.wrt_symbol,
                                   derivation.views, True), " ="), unicode)
    return [Text(say.fill(say.explicit_heading(derivation), unicode), style="bold"), slices,
            Text(vec + "\n" + grid(explicit.vec))]


def render_text(solution: Solution, notation: Notation, *, width: int = 100,
                brief: bool = False, notes: tuple[Sentence, ...] = ()) -> str:
    """The view as plain text at a fixed width (no colour): for files and golden tests."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False,
                      legacy_windows=False, highlight=False)
    console.print(solution_view(solution, notation, brief=brief, notes=notes))
    return buffer.getvalue()
