"""Solutions → one Python module: for each problem a function computing its value and every
derivative asked for, and a function checking them against central differences.

The function follows the derivation's program of named steps: the problem's definitions
(and the engine's, u = Ax − b) are computed once each, in order, one a line with its size;
the derivatives are the results the engine found, written with those names wherever their
formulas contain them, and any part two of them share computed once (emit.Program). What
each function returns is the numeric contract of ``Derivation.evaluate``.

Data flows one way: this module reads Solutions (model.py) and writes text; it computes no
mathematics. Imports sympy, matcalc.model, matcalc.objects, matcalc.errors, matcalc.export.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from matcalc import __version__, functions
from matcalc.errors import MatcalcError
from matcalc.export.emit import (
    HELPERS,
    Code,
    Program,
    grouped,
    rebuilt,
    shared_chains,
    size_text,
    stable_form,
)
from matcalc.greek import LETTERS
from matcalc.model import Declaration, Definition, Derivation, Problem, Property, Solution
from matcalc.objects import (
    Applied,
    AppliedVector,
    Scalar,
    UnitVector,
    as_dimension,
    is_matrix,
    parts_of,
    shape_of,
)

LIBRARIES = {"numpy": ("np", "import numpy as np"),
             "jax": ("jnp", "import jax\nimport jax.numpy as jnp\nimport numpy as np")}
# names the module itself uses, which a problem's names must not take
RESERVED = {"np", "jnp", "jax", "rng", "seed", "arguments", "outputs", "positive", "draw"}


# ---- names -------------------------------------------------------------------------------


def identifier(name: str) -> str:
    """A problem's name as a Python identifier: W^(1) → W1, x_n → x_n, lambda → lambda_;
    Greek letters keep their ASCII names (μ → mu)."""
    ascii_name = "".join(_ascii(char) for char in name)
    text = re.sub(r"[^0-9A-Za-z_]+", "_", ascii_name.replace("^", "").replace("(", "")
                  .replace(")", "").replace("{", "").replace("}", "")).strip("_") or "v"
    if text[0].isdigit():
        text = "v" + text
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in RESERVED or \
            text in _BUILTINS:
        text += "_"
    return text


_BUILTINS = set(dir(__import__("builtins")))
_GREEK = {letter: ascii_name for ascii_name, letter in LETTERS.items()}


def _ascii(char: str) -> str:
    if char.isascii():
        return char
    return _GREEK.get(char, f"_u{ord(char):04x}_")


@dataclass
class Names:
    """Identifiers for a problem's names, each distinct from the others and from the
    module's own."""

    given: dict[str, str] = field(default_factory=dict)  # problem name → identifier
    taken: set[str] = field(default_factory=lambda: set(RESERVED))

    def of(self, name: str) -> str:
        if name not in self.given:
            stem = identifier(name)
            text, count = stem, 1
            while text in self.taken:
                count += 1
                text = f"{stem}_{count}"
            self.given[name] = text
            self.taken.add(text)
        return self.given[name]

    def fresh(self, stem: str) -> str:
        """A new identifier, for something the problem does not name (df_dx)."""
        text, count = stem, 1
        while text in self.taken:
            count += 1
            text = f"{stem}_{count}"
        self.taken.add(text)
        return text

    def renamed(self) -> list[tuple[str, str]]:
        return [(name, text) for name, text in self.given.items() if name != text]


# ---- one problem -------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """One returned value: its identifier, what it is, its shape in the numeric contract."""

    name: str
    says: str  # "the value of f", "∂f/∂x"
    shape: tuple[sympy.Basic, ...]
    entry: str  # what entry (i, j) is
    derivation: Derivation | None = None  # None for a value
    of_position: int = 0  # for a derivative: the position of the value it differentiates


def abstract_reason(solution: Solution) -> str | None:
    """Why a problem has no code: its abstract functions (MML 5.9's p, q) have no formula."""
    kinds = (Applied, AppliedVector)  # ∂p/∂z holds p applied: found inside it
    expressions = [d.expr for d in solution.problem.definitions]
    for derivation in solution.derivations:
        expressions += [derivation.result, derivation.function]
    found = {str(part.name) for expr in expressions for part in parts_of(expr, kinds)}
    if not found:
        return None
    listed = ", ".join(sorted(found))
    return (f"{listed} {'is an abstract function' if len(found) == 1 else 'are abstract functions'}"
            " with no formula to compute")


def contract_shape(symbol: sympy.Basic) -> tuple[sympy.Basic, ...]:
    """The axes of a value in the numeric contract: () for a number, (D,) for a vector,
    (m, n) for a matrix."""
    if not is_matrix(symbol):
        return ()
    rows, cols = (as_dimension(d) for d in shape_of(symbol))
    return (rows,) if cols == 1 else (rows, cols)


def stem(solution: Solution, index: int) -> str:
    """The functions' name from the problem's title, up to its first punctuation, without
    small words: 'Least squares (MML 9.2)' → least_squares; untitled: problem_<n>."""
    title = solution.problem.title or ""
    head = re.split(r"[:(,;.—–\[]", title, maxsplit=1)[0]
    words = [w for w in re.findall(r"[A-Za-z0-9]+", "".join(_ascii(c) for c in head).lower())
             if w not in {"the", "a", "an", "of", "by", "with", "and", "in", "its", "to"}]
    text = "_".join(words[:5])
    if not text or text[0].isdigit():
        text = f"problem_{index}" + (f"_{text}" if text else "")
    return text


class ProblemCode:
    """The code of one problem: its function and its check."""

    def __init__(self, solution: Solution, name: str, lib: str) -> None:
        self.solution = solution
        self.problem = solution.problem
        self.name = name
        self.lib = lib
        self.names = Names()
        symmetric = frozenset(d.symbol for d in self.problem.declarations if d.properties & {
            Property.SYMMETRIC, Property.POSITIVE_DEFINITE})
        self.program = Program(lib, taken=self.names.taken,  # one set of identifiers
                               symmetric=symmetric)
        self.definitions = self._definitions()
        self.outputs: list[Output] = []
        self.lines: list[str] = []
        self._write()

    # -- what is computed ----------------------------------------------------------------

    def _definitions(self) -> list[Definition]:
        """The problem's definitions and the engine's (named in the derivations), each name
        once, in an order where every definition follows those it uses."""
        found: dict[str, Definition] = {}
        for problem in [self.problem, *(d.problem for d in self.solution.derivations
                                        if d.problem is not None)]:
            for definition in problem.definitions:
                other = found.get(definition.name)
                if other is None:
                    found[definition.name] = definition
        return list(found.values())

    def _problem(self) -> Problem:
        """The problem with every definition found, to order and substitute them."""
        return Problem(self.problem.title, self.problem.declarations,
                       tuple(self.definitions), ())

    def _roots(self) -> tuple[list[Output], list[sympy.Basic]]:
        """The values and derivatives returned, and their expressions in the problem's
        names (each derivative's parts that a definition computes read from its name)."""
        problem = self._problem()
        bodies: dict[sympy.Basic, sympy.Basic] = {}
        for definition in self.definitions:
            body = problem.substituted(definition.symbol)
            if not (body.is_Atom or isinstance(body, sympy.MatrixSymbol)):
                bodies.setdefault(body, definition.symbol)
        self.definitions = [_in_names(d, problem.substituted(d.symbol), bodies)
                            for d in self.definitions]
        named = {d.symbol: d.expr for d in self.definitions}
        self.definitions = [dataclasses.replace(d, expr=stable_logs(d.expr, named))
                            for d in self.definitions]
        problem = self._problem()
        outputs: list[Output] = []
        roots: list[sympy.Basic] = []
        values: dict[str, int] = {}
        for derivation in self.solution.derivations:
            of = derivation.target.of
            if of not in values and derivation.taylor is None:
                valued = problem.definition(of)
                assert valued is not None
                values[of] = len(outputs)
                outputs.append(Output(self.names.of(of), f"the value of {of}",
                                      contract_shape(valued.symbol), ""))
                roots.append(valued.symbol)
        for derivation in self.solution.derivations:
            expr = derivation.named_result if derivation.named_result is not None else \
                derivation.result
            if derivation.taylor is None:
                expr = stable_logs(shared(problem.substituted(expr), bodies), named)
            outputs.append(self._output(derivation, values.get(derivation.target.of, -1)))
            roots.append(expr)
        return outputs, roots

    def _output(self, derivation: Derivation, of_position: int) -> Output:
        target = derivation.target
        of, wrt = self.names.of(target.of), self.names.of(target.wrt)
        if derivation.taylor is not None:
            return Output(self.names.fresh(f"T{target.order}_{of}"),
                          f"the Taylor polynomial of degree {target.order} of {target.of} "
                          f"in {target.wrt} at {target.at}", (), "", derivation, of_position)
        wrt_symbol = self._declared(target.wrt).symbol
        if target.order == 2:
            second = self._declared(target.wrt2 or target.wrt).symbol
            twice = target.wrt2 in (None, target.wrt)
            other = self.names.of(target.wrt2 or "")
            name = f"d2{of}_d{wrt}2" if twice else f"d2{of}_d{wrt}d{other}"
            says = (f"∂²{target.of}/∂{target.wrt}²" if twice else
                    f"∂²{target.of}/∂{target.wrt}∂{target.wrt2}")
            of_shape = contract_shape(self._value_symbol(target.of))
            shape = of_shape + contract_shape(wrt_symbol) + contract_shape(second)
            entry = _entry_words(says, of_shape, target.wrt, contract_shape(wrt_symbol),
                                 target.wrt2 or target.wrt, contract_shape(second))
        else:
            name = f"d{of}_d{wrt}"
            says = f"∂{target.of}/∂{target.wrt}"
            of_shape = contract_shape(self._value_symbol(target.of))
            shape = of_shape + contract_shape(wrt_symbol)
            entry = _entry_words(says, of_shape, target.wrt, contract_shape(wrt_symbol))
        return Output(self.names.fresh(name), says, shape, entry, derivation, of_position)

    def _declared(self, name: str) -> Declaration:
        declaration = self.problem.declaration(name)
        assert declaration is not None, name
        return declaration

    def _value_symbol(self, name: str) -> sympy.Basic:
        definition = self._problem().definition(name)
        assert definition is not None
        return definition.symbol

    # -- the function --------------------------------------------------------------------

    def _write(self) -> None:
        program = self.program
        outputs, roots = self._roots()
        problem = self._problem()
        needed = _needed(problem, roots)
        used = parts_of(sympy.Tuple(*roots, *(d.expr for d in needed)),
                        (sympy.Symbol, sympy.MatrixSymbol))
        by = {name for derivation in self.solution.derivations
              for name in (derivation.target.wrt, derivation.target.wrt2) if name}
        # a variable differentiated by is an argument even where the derivative is 0
        self.arguments = [d for d in self.problem.declarations
                          if d.symbol in used or d.name in by]
        self.indices = sorted({u.index for e in [*roots, *(d.expr for d in needed)]
                               for u in parts_of(e, UnitVector) if not u.index.is_Integer},
                              key=str)
        for declaration in self.arguments:
            program.give(declaration.symbol, self.names.of(declaration.name))
        for index in self.indices:
            program.give(index, self.names.of(str(index)))
        self.sizes = self._sizes()
        for size, (text, _) in self.sizes.items():
            program.give(size, text)
        for definition in needed:
            self.names.of(definition.name)  # the problem's names first, temporaries after
        needed = [dataclasses.replace(d, expr=grouped(d.expr, program.symmetric))
                  for d in needed]
        roots = shared_chains([grouped(root, program.symmetric) for root in roots])
        program.count([*(d.expr for d in needed), *roots])
        for definition in needed:
            expr = definition.expr
            if is_matrix(expr) and not is_matrix(definition.symbol):  # a 1×1 product
                expr = Scalar(expr)
            program.assign(self.names.of(definition.name), expr,
                           f"{definition.name}: " + (size_text(definition.shape.dims)
                                                     if is_matrix(definition.symbol)
                                                     else "number"),
                           definition.symbol)
        returned: list[str] = []
        for output, root in zip(outputs, roots, strict=True):
            if output.derivation is None:
                code = program.names.get(root)
                assert code is not None
                returned.append(_as_contract_value(code.text, root, output.shape))
                continue
            derivation = output.derivation
            if root.is_Number:
                root = sympy.Float(root)
            shape = size_text(derivation.shape.dims) if is_matrix(root) else "number"
            code = program.assign(output.name, root, f"{output.says}: {shape}")
            returned.append(self._contract(code, derivation, root, output))
        self.outputs = outputs
        self.returned = returned

    def _sizes(self) -> dict[sympy.Basic, tuple[str, str]]:
        """Each size read from the first argument with an axis of that length:
        size → (its identifier, the code reading it)."""
        found: dict[sympy.Basic, tuple[str, str]] = {}
        for declaration in self.arguments:
            for axis, dim, power in declaration.sized_axes():
                if dim not in found:
                    text = self.names.of(str(dim))
                    length = f"{self.names.of(declaration.name)}.shape[{axis}]"
                    found[dim] = (text, length if power == 1 else
                                  f"round({length} ** (1 / {power}))")  # D of ℝ^{D²}
        return found

    def _contract(self, code: Code, derivation: Derivation, root: sympy.Basic,
                  output: Output) -> str:
        """The derivative as its numeric contract's array: a row or column as a 1-D array,
        a Jacobian by or of a matrix reshaped to out_shape + in_shape (vec order)."""
        shape = output.shape
        if not is_matrix(root):
            return code.text
        rows, cols = (as_dimension(d) for d in shape_of(root))
        if len(shape) == 0:
            return f"{code.text}[0, 0]"
        if len(shape) == 1:
            return f"{code.text}.ravel()"
        transposed = derivation.layout == "denominator" and (cols, rows) == tuple(shape)
        if tuple(shape) == (rows, cols):
            return code.text
        if transposed:
            return f"{code.text}.T"
        dims = ", ".join(self.program.code(as_dimension(d)).text for d in shape)
        return f"{self.lib}.reshape({code.text}, ({dims}), order=\"F\")"

    # -- the source ----------------------------------------------------------------------

    def function_source(self) -> str:
        lib, program = self.lib, self.program
        arguments = [self.names.of(d.name) for d in self.arguments] + \
            [self.names.of(str(i)) for i in self.indices]
        head = [f"def {self.name}_and_grad({', '.join(arguments)}):"]
        doc = self._docstring()
        body: list[str] = []
        for declaration in self.arguments:
            name = self.names.of(declaration.name)
            converted = f"{lib}.asarray({name}, dtype=float)"
            if declaration.shape.is_scalar:
                body.append(f"{name} = {converted}")
            elif declaration.shape.dims[1] == 1:
                body.append(f"{name} = {converted}.reshape(-1, 1)  # "
                            f"{size_text(declaration.shape.dims)}")
            else:
                body.append(f"{name} = {converted}  # {size_text(declaration.shape.dims)}")
        code_lines = [*program.lines, f"return {', '.join(self.returned)}"]
        text = "\n".join(line.partition("  # ")[0] for line in code_lines
                         if not line.startswith("#"))
        for _size, (name, reading) in self.sizes.items():
            if re.search(rf"\b{re.escape(name)}\b", text):
                body.append(f"{name} = {reading}")
        body.extend(code_lines)
        return "\n".join(head + [_indent(doc)] + [_indent(line) for line in body])

    def _docstring(self) -> str:
        title = self.problem.title or "(untitled)"
        lines = [textwrap.fill(f"Problem: {title}", width=88, subsequent_indent="    ",
                               break_long_words=False),
                 "", "Arguments (sizes are read from the arrays):"]
        for declaration in self.arguments:
            lines.append(f"    {self.names.of(declaration.name)}: "
                         f"{_shape_words(contract_shape(declaration.symbol))}"
                         + _properties(declaration))
        for index in self.indices:
            lines.append(f"    {self.names.of(str(index))}: a position, counted from 1")
        lines += ["", "Returns (" + ", ".join(o.name for o in self.outputs) + "):"]
        for output in self.outputs:
            lines.append(f"    {output.name}: {_shape_words(output.shape)}, {output.says}"
                         + (f"; {output.entry}" if output.entry else ""))
        return _docstring_literal("\n".join(lines))

    def check_source(self) -> str:
        """check_<name>(seed=0): random distinct sizes, values with the declared
        properties, every derivative against central differences along random directions."""
        sizes = sorted({s for d in self.arguments for s in _size_symbols(d)}, key=str)
        size_names = [self.names.of(str(s)) for s in sizes]
        about = textwrap.fill(
            f"Check every derivative {self.name}_and_grad returns against central "
            "differences of its value along random directions, at two draws of distinct "
            "random sizes; raise AssertionError naming the derivative and the error if one "
            "disagrees.", width=84, break_long_words=False)
        lines = [f"def check_{self.name}(seed=0):",
                 _indent(_docstring_literal(about)),
                 "    rng = np.random.default_rng(seed)",
                 "",
                 f"    def draw({', '.join([*size_names, 'positive'])}):",
                 "        return {"]
        for declaration in self.arguments:
            lines.append(f"            {self.names.of(declaration.name)!r}: "
                         f"{self._draw(declaration)},")
        for index in self.indices:
            length = self._index_length(index)
            lines.append(f"            {self.names.of(str(index))!r}: "
                         f"int(rng.integers(1, {length} + 1)),")
        lines += ["        }", "", "    for _ in range(2):"]
        drawn = "()"
        if size_names:
            drawn = ", ".join(size_names) + ("," if len(size_names) == 1 else "")
            lines.append(f"        sizes = rng.permutation(np.arange(2, {len(sizes) + 7}))"
                         f"[:{len(sizes)}]")
            drawn = "sizes"
        derivatives = []
        symmetric = [self.names.of(d.name) for d in self.arguments if d.properties & {
            Property.SYMMETRIC, Property.POSITIVE_DEFINITE}]
        for position, output in enumerate(self.outputs):
            derivation = output.derivation
            if derivation is None or derivation.taylor is not None:
                continue
            target = derivation.target
            wrt = [self.names.of(target.wrt)]
            if target.order == 2:
                wrt.append(self.names.of(target.wrt2 or target.wrt))
            derivatives.append(f"({output.says!r}, {position}, {output.of_position}, "
                               f"{tuple(wrt)!r})")
        lines.append(f"        _check({self.name}_and_grad, draw, {drawn}, rng, [")
        for item in derivatives:
            lines.append(f"            {item},")
        lines.append(f"        ], symmetric={tuple(symmetric)!r})")
        return "\n".join(lines)

    def _draw(self, declaration: Declaration) -> str:
        shape = contract_shape(declaration.symbol)
        sizes = ", ".join(_size_code(d, self.names.of) for d in shape)
        drawn = f"_random(rng, ({sizes}{',' if len(shape) == 1 else ''}), positive)"
        properties = declaration.properties
        if Property.ONE_HOT in properties:
            return f"_one_hot({drawn})"
        if Property.SUMS_TO_ONE in properties:
            return f"_sums_to_one({drawn})"
        if Property.BINARY in properties:
            return f"_binary({drawn})"
        if Property.ORTHOGONAL in properties:
            return f"_orthogonal(rng, {sizes.split(', ')[0]})"
        if Property.POSITIVE_DEFINITE in properties:
            return f"_positive_definite({drawn})"
        if Property.DIAGONAL in properties:
            drawn = f"_diagonal({drawn})"
        if Property.SYMMETRIC in properties:
            return f"_invertible(_symmetric({drawn}))"
        if Property.INVERTIBLE in properties:
            return f"_invertible({drawn})"
        return drawn

    def _index_length(self, index: sympy.Basic) -> str:
        for definition in self.definitions:
            for unit in parts_of(definition.expr, UnitVector):
                if unit.index == index:
                    return self.program.code(as_dimension(unit.args[1])).text
        return "2"


def _size_code(size: sympy.Basic, name_of: Callable[[str], str]) -> str:
    """A size as code in the check's draw: D, 3, D**2, D*E."""
    if isinstance(size, sympy.Symbol):
        return name_of(str(size))
    if size.is_Integer:
        return str(size)
    if isinstance(size, sympy.Pow):
        return f"{_size_code(size.base, name_of)}**{size.exp}"
    return " * ".join(_size_code(factor, name_of) for factor in size.args)


def _size_symbols(declaration: Declaration) -> set[sympy.Basic]:
    return {s for d in declaration.shape.dims for s in as_dimension(d).free_symbols}


def _needed(problem: Problem, roots: Sequence[sympy.Basic]) -> list[Definition]:
    """The definitions the roots use, each after those it uses."""
    order: list[Definition] = []
    for root in roots:
        for definition in problem.needed(root):
            if definition not in order:
                order.append(definition)
    for root in roots:  # a value returned is itself a definition
        value = next((d for d in problem.definitions if d.symbol == root), None)
        if value is not None and value not in order:
            for inner in problem.needed(value.expr):
                if inner not in order:
                    order.append(inner)
            order.append(value)
    return order


def _in_names(definition: Definition, body: sympy.Basic,
              bodies: dict[sympy.Basic, sympy.Basic]) -> Definition:
    """The definition with each part of its body that another definition computes read
    from that name (u = Ax first, then ‖u‖² rather than ‖Ax‖²): every body is written in
    names of strictly smaller bodies, or is the first name of an equal one, so the
    definitions stay acyclic."""
    first = bodies.get(body)
    if first is not None and first != definition.symbol:
        return dataclasses.replace(definition, expr=first)
    if not body.args or body.is_Atom or isinstance(body, sympy.MatrixSymbol):
        return definition
    args = [shared(a, bodies) for a in body.args]
    if all(new is old for new, old in zip(args, body.args, strict=True)):
        return dataclasses.replace(definition, expr=body)
    return dataclasses.replace(definition, expr=body.func(*args))


def shared(expr: sympy.Basic, bodies: dict[sympy.Basic, sympy.Basic]) -> sympy.Basic:
    """The expression with each part that a definition computes replaced by its name (the
    largest first, as xreplace does)."""
    return rebuilt(expr, bodies.get)


def stable_logs(expr: sympy.Basic, bodies: dict[sympy.Basic, sympy.Basic]) -> sympy.Basic:
    """log s and log(1 − s) with s a name for σ(u) read as log σ(u) and log(1 − σ(u)), so
    that the code writes them as −logaddexp(0, ∓u), finite where s rounds to 0 or 1."""
    sigmoids = {symbol: body for symbol, body in bodies.items() if _is_sigmoid(body)}
    entrywise = {symbol: body for symbol, body in bodies.items() if _is_entrywise(body)}
    if not entrywise:
        return expr

    def through(node: sympy.Basic) -> sympy.Basic | None:
        if not (isinstance(node, sympy.log) or (
                isinstance(node, ElementwiseApplyFunction)
                and isinstance(node.function.expr, sympy.log))):
            return None
        inside = node.args[-1] if isinstance(node, ElementwiseApplyFunction) else node
        if any(inside.has(symbol) for symbol in sigmoids):
            return node.xreplace(sigmoids)
        expanded = node
        for _ in range(3):  # log h, h := 1 + v, v := exp(u): log(1 + exp(u)), softplus
            expanded, before = expanded.xreplace(entrywise), expanded
            if expanded == before:
                break
            if stable_form(expanded) is not None:
                return expanded
        return None

    return rebuilt(expr, through)


def _is_entrywise(body: sympy.Basic) -> bool:
    """A name's body that is a function of its argument's entries: σ(u), exp(u), 1 + v."""
    if isinstance(body, ElementwiseApplyFunction):
        return True
    return not is_matrix(body) and isinstance(body, sympy.Function | sympy.Add) and len(
        body.free_symbols) <= 1


def _is_sigmoid(body: sympy.Basic) -> bool:
    if isinstance(body, ElementwiseApplyFunction):
        body = body.function.expr
    return isinstance(body, functions.sigmoid)


def _as_contract_value(name: str, symbol: sympy.Basic, shape: tuple[sympy.Basic, ...]) -> str:
    if len(shape) == 1:
        return f"{name}.ravel()"
    return name


def _entry_words(says: str, of_shape: tuple[sympy.Basic, ...], wrt: str,
                 wrt_shape: tuple[sympy.Basic, ...], wrt2: str | None = None,
                 wrt2_shape: tuple[sympy.Basic, ...] = ()) -> str:
    """What an entry of the array is: "entry (i, j) is ∂f_i/∂x_j"."""
    letters = iter("ijklmnpq")
    of_letters = [next(letters) for _ in of_shape]
    wrt_letters = [next(letters) for _ in wrt_shape]
    wrt2_letters = [next(letters) for _ in wrt2_shape]
    every = of_letters + wrt_letters + wrt2_letters
    if not every:
        return ""
    of_name = says.split("/")[0].lstrip("∂²")
    top = f"{of_name}_{''.join(of_letters)}" if of_letters else of_name
    first = f"{wrt}_{''.join(wrt_letters)}" if wrt_letters else wrt
    bottom = f"∂{first}"
    mark = "∂"
    if wrt2 is not None:
        second = f"{wrt2}_{''.join(wrt2_letters)}" if wrt2_letters else wrt2
        bottom += f"∂{second}"
        mark = "∂²"
    return f"entry ({', '.join(every)}) is {mark}{top}/{bottom}"


def _shape_words(shape: tuple[sympy.Basic, ...]) -> str:
    if not shape:
        return "a number"
    return "shape (" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _properties(declaration: Declaration) -> str:
    if not declaration.properties:
        return ""
    return ", " + ", ".join(sorted(p.value for p in declaration.properties))


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.split("\n"))


def _docstring_literal(text: str) -> str:
    """Text as a triple-quoted string: backslashes and quotes escaped, and any character
    that is not printable (a control character in a title) written as its escape."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n" or char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return '"""' + "".join(out) + '\n"""' if "\n" in text else '"""' + "".join(out) + '"""'


# ---- the module --------------------------------------------------------------------------

CHECK_HELPERS = '''
def _random(rng, shape, positive):
    """Random values: normal around 0, or between 0.5 and 1.5 where a function needs
    positive ones (a logarithm)."""
    return rng.uniform(0.5, 1.5, shape) if positive else rng.normal(0, 0.7, shape)


def _symmetric(A):
    return (A + A.T) / 2


def _invertible(A):
    return A + A.shape[0] * np.eye(A.shape[0])


def _positive_definite(A):
    return A @ A.T + A.shape[0] * np.eye(A.shape[0])


def _diagonal(A):
    return np.diag(np.diag(A) + np.sign(np.diag(A)) + (np.diag(A) == 0))


def _binary(A):
    return (A > np.median(A)).astype(float)


def _one_hot(v):
    """A unit vector; of a matrix, each row one."""
    if v.ndim == 2:
        return (v == np.max(v, axis=1, keepdims=True)).astype(float)
    return (np.arange(v.shape[0]) == np.argmax(v)).astype(float)


def _sums_to_one(v):
    """A probability vector; of a matrix, each row one."""
    e = np.exp(v)
    return e / (np.sum(e, axis=1, keepdims=True) if v.ndim == 2 else np.sum(e))


def _orthogonal(rng, n):
    return np.linalg.qr(rng.normal(size=(n, n)))[0]


def _outputs(function, arguments):
    found = function(**arguments)
    return found if isinstance(found, tuple) else (found,)


def _check(function, draw, sizes, rng, derivatives, symmetric=(), step=1e-6,
           tolerance=1e-5):
    """Each derivative against central differences of the value it differentiates, along
    three random directions (symmetric ones for a symmetric variable): a first derivative
    by (f(x + hv) - f(x - hv)) / 2h, a second by the four-point difference in (u, v)."""
    for attempt in range(8):  # values where the function is finite (a log needs x > 0)
        arguments = draw(*sizes, positive=attempt >= 4)
        outputs = [np.asarray(value, dtype=float) for value in _outputs(function, arguments)]
        if all(np.all(np.isfinite(value)) for value in outputs):
            break
    else:
        raise AssertionError("no random point where every output is finite")

    def direction(name):
        v = rng.normal(size=np.shape(arguments[name]))
        return (v + v.T) / 2 if name in symmetric else v

    def value(position, moves):
        moved = dict(arguments)
        for name, delta in moves:
            moved[name] = moved[name] + delta
        return np.asarray(_outputs(function, moved)[position], dtype=float)

    for says, position, of, names in derivatives:
        derivative = outputs[position]
        for _ in range(3):
            if len(names) == 1:
                v = direction(names[0])
                expected = np.tensordot(derivative, v, axes=v.ndim)
                found = (value(of, [(names[0], step * v)])
                         - value(of, [(names[0], -step * v)])) / (2 * step)
            else:
                u, v = direction(names[0]), direction(names[1])
                expected = np.tensordot(np.tensordot(derivative, v, axes=v.ndim), u,
                                        axes=u.ndim)
                h = 1e-4
                found = sum(a * b * value(of, [(names[0], a * h * u), (names[1], b * h * v)])
                            for a in (1, -1) for b in (1, -1)) / (4 * h * h)
            scale = 1 + np.max(np.abs(expected)) + np.max(np.abs(found))
            error = np.max(np.abs(expected - found)) / scale
            limit = tolerance if len(names) == 1 else 100 * tolerance
            if not error <= limit:
                raise AssertionError(f"{says} disagrees with central differences: "
                                     f"relative error {error:.2e} (limit {limit:.0e})")
'''


def problem_codes(solutions: Sequence[Solution], library: str = "numpy",
                  source: str | None = None) -> list[ProblemCode]:
    """The code of each problem that has some (abstract functions have none), each under
    a function name of its own."""
    lib, _ = LIBRARIES[library]
    codes: list[ProblemCode] = []
    taken: set[str] = set()
    for index, solution in enumerate(solutions, start=1):
        if abstract_reason(solution) is not None:
            continue
        name = stem(solution, index)
        base, count = name, 1
        while name in taken:
            count += 1
            name = f"{base}_{count}"
        taken.add(name)
        codes.append(ProblemCode(solution, name, lib))
    if not codes:
        reasons = "; ".join(f"{title!r}: {why}" for title, why in skipped(solutions))
        raise MatcalcError(f"no code to write: {reasons}", path=source or "<input>",
                           hint="code is written for problems whose functions have formulas")
    return codes


def module_source(solutions: Sequence[Solution], library: str = "numpy",
                  source: str | None = None) -> str:
    """One module for the solutions of a file (``library`` "numpy" or "jax")."""
    return module_of(problem_codes(solutions, library, source), library, source,
                     skipped(solutions))


def module_of(codes: Sequence[ProblemCode], library: str, source: str | None,
              left_out: Sequence[tuple[str, str]]) -> str:
    """The module: its docstring, imports, the helpers used, each problem's function and
    check, and the check's helpers."""
    lib, imports = LIBRARIES[library]
    helpers = set().union(*(code.program.helpers for code in codes))
    sections = [part for code in codes
                for part in (code.function_source(), code.check_source())]
    doc = _module_docstring(library, source, [f"{t!r}: {why}" for t, why in left_out])
    helper_source = [HELPERS[h].replace("LIB", lib) for h in sorted(helpers)]
    check_helpers = CHECK_HELPERS.strip()
    if library == "jax":
        check_helpers = check_helpers.replace(
            "def _check(function, draw, sizes, rng, derivatives, symmetric=(), step=1e-6,\n"
            "           tolerance=1e-5):",
            "def _check(function, draw, sizes, rng, derivatives, symmetric=(), step=1e-6,\n"
            "           tolerance=1e-5):\n"
            "    with jax.enable_x64(True):  # differences need float64\n"
            "        _check64(function, draw, sizes, rng, derivatives, symmetric, step,\n"
            "                 tolerance)\n\n\n"
            "def _check64(function, draw, sizes, rng, derivatives, symmetric, step, tolerance):")
    parts = [doc, imports, *helper_source, *sections, check_helpers]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def skipped(solutions: Sequence[Solution]) -> list[tuple[str, str]]:
    """The problems a module leaves out, each (title, why)."""
    return [(solution.problem.title or f"problem {index}", reason)
            for index, solution in enumerate(solutions, start=1)
            if (reason := abstract_reason(solution)) is not None]


def _module_docstring(library: str, source: str | None, skipped: list[str]) -> str:
    where = f" in {source}" if source else ""
    name = "NumPy" if library == "numpy" else "JAX"
    lines = [
        textwrap.fill(f"{name} code for the derivatives{where}, written by matcalc "
                      f"{__version__}.", width=88, break_long_words=False),
        "",
        "For each problem, <name>_and_grad(...) takes the declared variables as arrays (a",
        "vector of length D as shape (D,), a matrix as (rows, cols), a number as a float;",
        "sizes are read from the arrays) and returns the value of each function",
        "differentiated, then each derivative asked for, in matcalc's numeric contract:",
        "a derivative of F by X has shape F's axes + X's axes (a Hessian of f by x: (D, D),",
        "by a matrix X: (m, n, m, n)); ∂vec F/∂vec X is reshaped to it in column-major",
        "(vec) order. check_<name>(seed=0) compares every derivative with central",
        "differences at random sizes and values and raises AssertionError if one disagrees.",
    ]
    if skipped:
        lines += ["", "Not written (no formula to compute):"]
        lines += [f"    {item}" for item in skipped]
    return _docstring_literal("\n".join(lines))


__all__ = ["identifier", "module_source"]
