"""The English of a solution, written once as Sentences with Math slots.

Every renderer (text, LaTeX, JSON) fills the slots with its own printer, so the words
cannot drift apart between formats. Nothing here computes mathematics: it reads the
records the engine and the check made.
Imports matcalc.model and render.printers' marks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy

from matcalc.model import (
    IMPLIED,
    Check,
    Declaration,
    Definition,
    Derivation,
    Math,
    Problem,
    Property,
    Sentence,
    Shape,
    Step,
    TensorViews,
)
from matcalc.objects import Applied, AppliedVector, Entry, Vec, is_matrix, parts_of, shape_of
from matcalc.render.printers import (
    Dims,
    PartialMark,
    SecondMark,
    Space,
    TaylorMark,
    is_negative,
)

_F, _X = sympy.Symbol("f"), sympy.Symbol("x")


def layout_note(layout: str, of: sympy.Basic = _F, wrt: sympy.Basic = _X) -> Sentence:
    """Which convention the derivatives are written in, said with the problem's own
    function and variable (∂L/∂w has a row for each entry of L …)."""
    if layout == "numerator":
        return ("Numerator layout (as in Mathematics for Machine Learning): ",
                Math(PartialMark(of, wrt)), " has a row for each entry of ", Math(of),
                " and a column for each entry of ", Math(wrt), ", so a scalar by a vector "
                "is a row vector; a scalar by a matrix is shaped like the matrix.")
    return ("Denominator layout (gradients as columns, as in the Matrix Cookbook): a result "
            "by a vector is the transpose of the numerator-layout Jacobian, so a scalar by a "
            "vector is a column vector; a scalar by a matrix is shaped like the matrix in both "
            "layouts.",)

# Words between two formulas that make them one formula: x ∈ ℝ^D, u = xᵀx, f ← z ← x.
JOINERS = {" = ": " = ", " ∈ ": r" \in ", " ← ": r" \leftarrow ", " → ": r" \to ", ", ": ", "}


def fill_joined(sentence: Sentence, latex: Callable[[object], str],
                words: Callable[[str], str], formula: Callable[[str], str]) -> str:
    """The sentence for a LaTeX-based format: each run of math joined by a relation word
    is one formula (``formula`` wraps its LaTeX: $…$, or MathML), so x ∈ ℝ^D is set as
    mathematics, not as two formulas around a text symbol."""
    out: list[str] = []
    run: list[str] = []
    for index, part in enumerate(sentence):
        if isinstance(part, Math):
            run.append(latex(part.expr))
            continue
        after = sentence[index + 1] if index + 1 < len(sentence) else None
        if run and part in JOINERS and isinstance(after, Math):
            run.append(JOINERS[part])
            continue
        if run:
            out.append(formula("".join(run)))
            run = []
        out.append(words(part))
    if run:
        out.append(formula("".join(run)))
    return "".join(out)


_I, _J, _K, _L = sympy.symbols("i j k l")


def vec_note(derivation: Derivation) -> Sentence:
    """How the tensor's entries sit in the vectorized Jacobian, with this problem's objects
    and sizes: entry (i, j, k, l) is entry (i + N j, k + M l) of ∂vec K/∂vec R; a vector's
    single index stays as it is (three-index tensors)."""
    letters: list[sympy.Basic] = []
    positions: list[sympy.Basic] = []
    for matrix, first, second in ((derivation.of_symbol, _I, _J),
                                  (derivation.wrt_symbol, _K, _L)):
        rows, cols = shape_of(matrix)
        row = first if rows != 1 else None
        col = second if cols != 1 else None
        letters += [letter for letter in (row, col) if letter is not None]
        if row is not None and col is not None:
            positions.append(row + rows * col)
        elif row is not None or col is not None:
            positions.append(row if row is not None else col)
    return ("vec stacks the columns of a matrix, so entry ", Math(sympy.Tuple(*letters)),
            " of the tensor is entry ", Math(sympy.Tuple(*positions)), " of ",
            Math(PartialMark(Vec(derivation.of_symbol), Vec(derivation.wrt_symbol))),
            ", counting from 0.")


def fill(sentence: Sentence, math: Callable[[object], str],
         words: Callable[[str], str] = lambda s: s) -> str:
    """The sentence with Math slots printed by ``math`` and words passed through ``words``."""
    return "".join(words(p) if isinstance(p, str) else math(p.expr) for p in sentence)


def rule_title(step: Step) -> str:
    """The rule's name as a reader sees it (a product rule with one varying factor is a
    linear map)."""
    return step.rule


def stated(properties: frozenset[Property]) -> tuple[str, ...]:
    """The properties as a textbook states them, in Property's order: "symmetric, positive
    definite" becomes "positive definite", which implies symmetric and invertible."""
    implied = frozenset().union(*(IMPLIED.get(p, frozenset()) for p in properties))
    said = {Property.BINARY}  # said by the space: y ∈ {0, 1}^K
    return tuple(p.value for p in Property if p in properties - implied - said)


def declarations(problem: Problem) -> list[Sentence]:
    """x, μ ∈ ℝ^D  ·  S ∈ ℝ^{D×D}, symmetric: declarations of one shape grouped."""
    groups: dict[tuple[Space, tuple[str, ...]], list[Declaration]] = {}
    for declaration in problem.declarations:
        space = Space(declaration.shape, Property.BINARY in declaration.properties)
        groups.setdefault((space, stated(declaration.properties)), []).append(declaration)
    lines: list[Sentence] = []
    for (space, properties), members in groups.items():
        line: list[str | Math] = []
        for index, member in enumerate(members):
            line.extend([", "] if index else [])
            line.append(Math(member.symbol))
        line.extend([" ∈ ", Math(space)])
        line.extend(f", {p}" for p in properties)
        lines.append(tuple(line))
    for item in problem.definitions:  # z ∈ ℝ^E, declared for an abstract t(ε, ν)
        if isinstance(item.expr, AppliedVector):
            lines.append((Math(item.symbol), " ∈ ", Math(Space(item.shape))))
    abstract = sorted({f.name for d in problem.definitions
                       for f in parts_of(d.expr, (Applied, AppliedVector))})
    if abstract:
        names: list[str | Math] = []
        for index, name in enumerate(abstract):
            names += [", " if index else "", Math(sympy.Symbol(name))]
        lines.append((*names, " differentiable"))
    return lines


def definition(item: Definition, problem: Problem | None = None) -> Sentence:
    """f(z) = exp(−½z)  ·  z = g(y) = yᵀS⁻¹y (an argument printed as the object it names)"""
    def named(name: str) -> sympy.Basic:
        found = problem and (problem.definition(name) or problem.declaration(name))
        return found.symbol if found else sympy.Symbol(name)

    arguments: list[str | Math] = ["("]
    for index, name in enumerate(item.arguments):
        arguments.extend([", " if index else "", Math(named(name))])
    arguments.append(")")
    head: list[str | Math] = [Math(item.symbol)]
    if item.arguments and item.function is None:
        head.extend(arguments)
    if item.function is not None:
        head.extend([" = ", Math(sympy.Symbol(item.function))])
        head.extend(arguments if item.arguments else [])
    return (*head, " = ", Math(item.expr))


def chain_names(derivation: Derivation) -> list[Sentence]:
    """f ← z ← y ← x, one line per path."""
    lines: list[Sentence] = []
    for chain in derivation.chains:
        line: list[str | Math] = []
        for index, link in enumerate(chain.links):
            line.extend([Math(link.of_symbol), " ← "])
            if index == len(chain.links) - 1:
                line.append(Math(link.wrt_symbol))
        lines.append(tuple(line))
    return lines


def target(derivation: Derivation) -> Math:
    if derivation.taylor is not None:  # T₂f at x0
        return Math(TaylorMark(derivation.of_symbol, derivation.target.order,
                               derivation.taylor.point))
    first = derivation.gradient
    if first is not None:  # d²f/dx², ∂²f/∂x∂y
        return Math(SecondMark(first.of_symbol, first.wrt_symbol, derivation.wrt_symbol))
    return partial_of(derivation.of_symbol, derivation.wrt_symbol, derivation.views, True)


def taylor(derivation: Derivation) -> Sentence:
    """A Taylor polynomial term by term, each term's parts with their sizes (MML 5.8)."""
    found = derivation.taylor
    assert found is not None
    f, x, a = derivation.of_symbol, derivation.wrt_symbol, found.point
    order = derivation.target.order
    sentence: list[str | Math] = [
        f"The Taylor polynomial of degree {order} of ", Math(f), " at ", Math(a),
        " is the sum of its terms, each a number: the value ", Math(f), "(", Math(a), ") = ",
        Math(found.value), "; the derivative at the point, ",
        Math(PartialMark(f, x, True)), "(", Math(a), ") = ", Math(found.slope), " ∈ ",
        Math(Shape(shape_of(found.slope))), ", times the step ", Math(x), " − ", Math(a),
        " ∈ ", Math(Shape(shape_of(x))), ", which gives ", Math(found.terms[1])]
    if found.hessian is not None:
        sentence += [
            "; and half the step times the Hessian at the point, ",
            Math(SecondMark(f, x, x)), "(", Math(a), ") = ", Math(found.hessian), " ∈ ",
            Math(Shape(shape_of(found.hessian))), ", times the step again: ",
            Math(found.terms[2])]
    sentence.append(". The derivatives are those of find ")
    sentence.append(Math(PartialMark(f, x, True)))
    if found.hessian is not None:
        sentence += [" and find ", Math(SecondMark(f, x, x))]
    sentence.append(", with the variable set to the point.")
    return tuple(sentence)


def gradient(derivation: Derivation) -> Sentence:
    """A second derivative's first step, said before its partials: the gradient it
    differentiates (MML: the Hessian is the derivative of the gradient)."""
    first = derivation.gradient
    if first is None or derivation.taylor is not None:
        return ()
    of, wrt, name = first.of_symbol, first.wrt_symbol, derivation.of_symbol
    column = shape_of(wrt)[1] == 1 and shape_of(wrt)[0] != 1 and shape_of(of) == (1, 1)
    value = derivation.function  # the gradient, in the declared variables
    formula: Sentence = ((Math(name), " = (", Math(PartialMark(of, wrt, True)), ")ᵀ = ",
                          Math(value)) if column else
                         (Math(name), " = ", Math(PartialMark(of, wrt, True)), " = ",
                          Math(value)))
    if shape_of(of) != (1, 1):  # a vector-valued f: its Jacobian
        return ("A second derivative is the derivative of the first. First the Jacobian, by "
                "the chain rule as for any first derivative (find ",
                Math(PartialMark(of, wrt, True)), " shows its steps): ", *formula, " ∈ ",
                Math(Shape(shape_of(name))), "; then ", Math(name), " is differentiated by ",
                Math(derivation.wrt_symbol), ".")
    return ("A second derivative is the derivative of the gradient. First the gradient, by the "
            "chain rule as for any first derivative (find ", Math(PartialMark(of, wrt, True)),
            " shows its steps): ", *formula, " ∈ ", Math(Shape(shape_of(name))), "; then ",
            Math(name), " is differentiated by ", Math(derivation.wrt_symbol), ".")


def chain_rule(derivation: Derivation) -> tuple[Sentence, list[Sentence], Sentence]:
    """df/dx = ∂f/∂z ∂z/∂y ∂y/∂x (+ one product per further path); under it each path's
    dimensions, (1×1)(1×D)(D×D) → 1×D; then the products themselves."""
    headline: list[str | Math] = [target(derivation), " = "]
    products: list[str | Math] = ["= "]
    lines: list[Sentence] = []
    for index, chain in enumerate(derivation.chains):
        factors: list[str | Math] = []
        shapes: list[str | Math] = []
        for link in chain.links:
            factors.extend([" ", partial_of(link.of_symbol, link.wrt_symbol, link.step.views)])
            shapes.extend(["(", Math(Dims(vec_shape(link.step))), ")"])
        headline.extend([" + " if index else "", *factors[1:]])
        negative = index and is_negative(chain.product)  # "− 1/q ∂q/∂ν", not "+ −1/q ∂q/∂ν"
        products.extend([" − " if negative else " + " if index else "",
                         Math(-chain.product if negative else chain.product)])
        arranged: tuple[str | Math, ...] = ()
        product_shape = getattr(chain.product, "shape", (1, 1))
        if derivation.views is not None and not is_tensor(derivation.views) and \
                tuple(product_shape) != chain.shape.dims:
            arranged = (", arranged as ", Math(Shape(tuple(product_shape))))
        lines.append((*factors[1:], "  :  ", *shapes, " → ", Math(Dims(chain.shape)),
                      *arranged))
    if len(derivation.chains) > 1:
        headline.append("   (the total derivative: a sum over the paths)")
    elif lines:  # one path: its dimensions go on the same line
        headline.extend(lines[0][lines[0].index("  :  "):])
        lines = []
    return tuple(headline), lines, tuple(products)


def step_walk(step: Step, depth: int = 0) -> Iterator[tuple[int, Step]]:
    """The step and its sub-steps, depth first, without the trivial ones (∂x/∂x = I, 0)."""
    yield depth, step
    for sub in step.substeps:
        if sub.name not in {"identity", "constant"}:
            yield from step_walk(sub, depth + 1)


def step_line(step: Step) -> Sentence:
    """∂(yᵀS⁻¹y)/∂y = 2yᵀS⁻¹ ∈ ℝ^{1×D}"""
    return (partial_of(step.expr, step.wrt, step.views), " = ", Math(step.value), " ∈ ",
            Math(step.shape))


def explanation(step: Step) -> Sentence:
    because: list[str | Math] = []
    for fact in step.because:  # "we used that S is symmetric", "since S is symmetric, …"
        first, *rest = fact
        opening = first[:1].upper() + first[1:] if isinstance(first, str) else first
        because.extend([" ", opening, *rest, "."])
    return (*step.explain(), *because)


def check(result: Check | None) -> Sentence:
    if result is None:
        return ("Not checked numerically (--no-check).",)
    if result.trials == 0:
        return (f"Not checked numerically: {result.message}.",)
    sizes = ", ".join(f"{name} = {n}" for name, n in result.sizes)
    where = f"random values and distinct sizes ({sizes})" if sizes else "random values"
    if result.passed:
        if not result.shows_error:
            return (f"Checked numerically: {result.compared} at {where}.",)
        return (f"Checked numerically: {result.compared} at {where}; "
                f"largest relative error {result.max_error:.1e}.",)
    return (f"NUMERIC CHECK FAILED at {where}: {result.message}.",)


def check_status(result: Check | None) -> str:
    """"passed", "failed", or "unchecked" (--no-check, or abstract functions)."""
    if result is not None and not result.passed:
        return "failed"
    return "passed" if result is not None and result.trials > 0 else "unchecked"


CHECK_MARKS = {"passed": "✓ ", "failed": "✗ ", "unchecked": ""}


ViewLines = list[tuple[Sentence, Sentence]]


def partials(derivation: Derivation) -> Iterator[tuple[Step, object, ViewLines]]:
    """Each partial of every chain: its step, its mark (∂f/∂z, or ∂vec F/∂vec X when the
    value is a vectorized Jacobian) and the index and vec forms shown with it (none when the
    one partial is the result itself, whose forms the result shows)."""
    shown = views_of_steps(derivation)
    for chain in derivation.chains:
        for link in chain.links:
            step = link.step
            yield (step, partial_of(link.of_symbol, link.wrt_symbol, step.views).expr,
                   view_lines(step.views, link.of_symbol, link.wrt_symbol) if shown else [])


def view_lines(views: TensorViews | None, of: object, wrt: object
               ) -> ViewLines:
    """The index and vec views of a derivative by (or of) a matrix: (equation, space)."""
    if views is None:
        return []
    index: list[tuple[Sentence, Sentence]] = [] if views.index is None else [(
        (Math(PartialMark(views.of_entry, views.wrt_entry)), " = ", Math(views.index)), ())]
    if is_tensor(views):  # the value shown is already ∂vec F/∂vec X
        return [(equation, ("tensor in ", Math(views.tensor))) for equation, _ in index]
    of_mark = Vec(of) if is_matrix(of) and shape_of(of)[1] != 1 else of  # ∂vec(F)/∂t
    wrt_mark = Vec(wrt) if is_matrix(wrt) else wrt  # ∂f/∂vec(X)
    vec: Sentence = (Math(PartialMark(of_mark, wrt_mark)), " = ", Math(views.vec))
    return [*index, (vec, (Math(views.vec_shape),))]


def remarks(derivation: Derivation) -> list[Sentence]:
    """What is said after the result: the result in the problem's own names when they make
    it shorter, then the remarks (an implied target's remark was said at the top)."""
    said = list(derivation.remarks[1:] if derivation.target.implied else derivation.remarks)
    if derivation.named_result is not None:
        said.insert(0, ("In the problem's own names, ", target(derivation), " = ",
                        Math(derivation.named_result), "."))
    return said


def views_of_steps(derivation: Derivation) -> bool:
    """Whether the partials show their index and vec forms: not when the one partial is
    the result itself, whose forms the result shows (each form once)."""
    return not (len(derivation.chains) == 1 and len(derivation.chains[0].links) == 1)


def is_tensor(views: TensorViews | None) -> bool:
    """A vector or matrix by a matrix: the value shown is ∂vec F/∂vec X."""
    return views is not None and len(views.tensor.dims) > 2


def partial_of(of: object, wrt: object, views: TensorViews | None, total: bool = False
               ) -> Math:
    """∂f/∂x, or ∂vec F/∂vec X when the value shown is the vectorized Jacobian."""
    if is_tensor(views):
        return Math(PartialMark(Vec(of), Vec(wrt), total))
    return Math(PartialMark(of, wrt, total))


def contraction(derivation: Derivation) -> Sentence:
    """Why a chain through matrices multiplies as it does, naming the summed indices."""
    sentence: list[str | Math] = [
        "Through matrices each factor is a ∂vec/∂vec Jacobian, so the dimensions meet as "
        "in any matrix product; multiplying two factors sums over the entries of the "
        "variable between them ("]
    between = [link for chain in derivation.chains for link in chain.links[:-1]]
    for index, link in enumerate(between):  # the variable below each link but the last
        size = vec_shape(link.step).cols
        sentence.extend(["; " if index else "", "the ", Math(size), " entries of ",
                         Math(link.wrt_symbol)])
    sentence.append("), which contracts the tensors index by index.")
    return tuple(sentence)


def has_chain(derivation: Derivation) -> bool:
    """Whether there is a product to show: some path has more than one link."""
    return any(len(chain.links) > 1 for chain in derivation.chains)


def contracts(derivation: Derivation) -> bool:
    """Whether a product passes through a tensor, so that the contraction needs saying."""
    return has_chain(derivation) and any(
        link.step.views is not None for chain in derivation.chains for link in chain.links)


def vec_shape(step: Step) -> Shape:
    """The shape of the factor a step contributes to the chain product."""
    return step.views.vec_shape if step.views is not None else step.shape


def explicit_slice(derivation: Derivation, index: tuple[int, ...]) -> Sentence:
    """∂K/∂R_12 = (the slice), for --dims."""
    views = derivation.views
    assert views is not None
    wrt = Entry(derivation.wrt_symbol, *(sympy.Integer(i) for i in index)) \
        if len(index) == 2 else Entry(derivation.wrt_symbol, sympy.Integer(index[0]),
                                      sympy.S.Zero)
    return (Math(PartialMark(derivation.of_symbol, wrt)), " =")


def explicit_heading(derivation: Derivation) -> Sentence:
    assert derivation.explicit is not None
    sizes = ", ".join(f"{name} = {n}" for name, n in derivation.explicit.sizes)
    return (f"Written out for {sizes} (indices from 1):",)


def opening(derivation: Derivation) -> list[Sentence]:
    """What a derivation says before its partials: the implied target, the names it
    introduces, its dependency chains (for the page formats, one paragraph each)."""
    paragraphs: list[Sentence] = []
    if derivation.target.implied:
        paragraphs.append(derivation.remarks[0])
    if derivation.taylor is not None:
        paragraphs.append(taylor(derivation))
    elif derivation.gradient is not None:
        paragraphs.append(gradient(derivation))
    lets = introduced(derivation)
    if lets:
        joined: list[str | Math] = ["Name the inner expressions: "]
        for index, let in enumerate(lets):
            joined += [" "] if index else []
            joined += list(let)
        paragraphs.append(tuple(joined))
    paragraphs += [("Dependency chain: ", *path, ".") for path in chain_names(derivation)]
    return paragraphs


def introduced(derivation: Derivation) -> list[Sentence]:
    """Let u = Ax − b: the intermediates the engine named, in the order it named them."""
    problem = derivation.problem
    if problem is None:
        return []
    used = {name for chain in derivation.chains for name in chain.names}
    shown = set().union(*(step.expr.free_symbols | step.value.free_symbols
                          for step in derivation.steps))  # a name a step writes with (u)
    return [("Let ", Math(d.symbol), " = ", Math(d.expr), ".")
            for d in problem.definitions
            if d.introduced and (d.name in used or d.symbol in shown)]
