r"""A model's cost as a formula in its input sizes: :func:`analytic.profile` with named sizes.

``analytic.profile(model, input_shape=(1, 80, "L"))`` runs one forward pass of the model on fake
tensors (``torch._subclasses.FakeTensorMode``) whose named sizes are torch's symbolic sizes
(``torch.fx.experimental.symbolic_shapes``): every operator call sees its shapes as SymPy
expressions of the sizes, and the operator formulas of :mod:`analytic.operators` — the very
functions of the numeric profile — evaluate on them, giving each row and the total as a SymPy
expression.  What torch assumed about the sizes on the way (every guard of the pass: a minimum
size, a divisibility, an equality) is kept as the profile's ``conditions``: the formula holds
where they hold, and :meth:`SymbolicProfile.evaluate` refuses a size that breaks one.

:meth:`SymbolicProfile.simplified` resolves the lattice counts for sizes beyond a threshold it
computes (:mod:`analytic.symbolic.asymptotic`): for HiFi-GAN V1, a polynomial in the number of
mel frames.  The formulas export to LaTeX (per layer and total), Python, C and JSON.
"""

from __future__ import annotations

import json
import keyword
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import sympy
from sympy import Expr, Integer, Symbol

from .counts import CONVENTIONS
from .profiling import (
    COVERED,
    Profile,
    ProfileRow,
    count_calls,
    has_named_sizes,
    internal_modules,
    meta_copy,
)
from .symbolic.asymptotic import simplify_conditions
from .tables import latex_escape

__all__ = ["SymbolicProfile", "symbolic_profile", "has_named_sizes", "describe", "DEFAULT_HINT"]

#: the example value a named size takes where the model branches on a size (highly divisible,
#: so that a model needing a multiple of 2**k, 3, 5 or 7 runs; ``hints=`` chooses another)
DEFAULT_HINT = 40320


def describe(condition: sympy.Basic) -> str:
    """A condition as Python writes it: ``L >= 2``, ``H % 16 == 0``."""
    from .symbolic.export import IntegerPythonPrinter

    text = IntegerPythonPrinter().doprint(condition)
    return text[1:-1] if text.startswith("(") and text.endswith(")") and text.count("(") == 1 else text


def _is_name(value: object) -> bool:
    return isinstance(value, str)


def _check_name(name: str) -> str:
    if not (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not keyword.iskeyword(name)):
        raise ValueError(f"size name ({name!r}) must be an identifier (letters, digits, _), not a Python keyword")
    return name


def size_symbol(name: str) -> Symbol:
    """The SymPy symbol of a named size: a positive integer."""
    return Symbol(_check_name(name), integer=True, positive=True)


def _shapes(input_shape, example_inputs) -> list[tuple]:
    """The input shapes (ints and names), one per input."""
    if (input_shape is None) == (example_inputs is None):
        raise ValueError("give exactly one of input_shape and example_inputs")
    given = input_shape if input_shape is not None else example_inputs
    if not isinstance(given, (tuple, list)) or not given:
        raise TypeError(f"a shape must be a tuple of ints and size names, got {given!r}")
    several = input_shape is None and all(isinstance(v, (tuple, list)) for v in given)
    shapes = [tuple(s) for s in given] if several else [tuple(given)]
    for shape in shapes:
        for v in shape:
            if _is_name(v):
                _check_name(v)
            elif not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
                raise ValueError(f"shape {shape!r} must hold non-negative ints and size names (strings)")
    return shapes


def _check_hints(hints: Mapping[str, int] | None, names: Sequence[str]) -> dict[str, int]:
    hints = dict(hints or {})
    unknown = set(hints) - set(names)
    if unknown:
        raise ValueError(f"hints name sizes the shapes do not have: {', '.join(sorted(unknown))}")
    for name, value in hints.items():
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 2):
            raise ValueError(f"hints[{name!r}] ({value!r}) must be an int >= 2 (torch fixes sizes 0 and 1)")
    return {name: hints.get(name, DEFAULT_HINT) for name in names}


def _mod(x, q):  # x mod q = x - q floor(x / q): floors are what the simplification reads
    return x - q * sympy.floor(x / q) if q.is_Integer and q > 0 else sympy.Mod(x, q)


#: torch's own integer functions, by class name, as SymPy's
_TORCH_FUNCTIONS = {
    "FloorDiv": lambda a, b: sympy.floor(a / b), "CleanDiv": lambda a, b: a / b, "IntTrueDiv": lambda a, b: a / b,
    "PythonMod": _mod, "Mod": _mod, "Identity": lambda a: a, "Max": sympy.Max, "Min": sympy.Min,
    "FloorToInt": sympy.floor, "CeilToInt": sympy.ceiling,
}


def _plain(expr: Expr) -> Expr:
    """torch's own integer functions (``FloorDiv``, ``CleanDiv``, ``PythonMod``, its ``Max``, ...)
    as SymPy's; ``x mod q`` as ``x - q floor(x/q)``."""
    def torch_function(e) -> bool:
        name = type(e).__name__
        return not e.is_Atom and name in _TORCH_FUNCTIONS and (
            name not in ("Max", "Min") or type(e).__module__.startswith("torch"))

    return expr.replace(torch_function, lambda e: _TORCH_FUNCTIONS[type(e).__name__](*e.args))


def _leaves(value: object, function) -> object:
    """``value`` (a SymPy expression, or a tuple or dict of them, nested) with ``function``
    applied to each expression in it."""
    if isinstance(value, sympy.Basic):
        return function(value)
    if isinstance(value, tuple):
        return tuple(_leaves(v, function) for v in value)
    if isinstance(value, dict):
        return {k: _leaves(v, function) for k, v in value.items()}
    return value


def _as_int(expr: Expr) -> int:
    if not expr.is_Integer:
        raise ValueError(f"{expr} did not evaluate to an integer")
    return int(expr)


@dataclass(frozen=True)
class SymbolicProfile(Profile):
    """A profile whose counts are SymPy expressions of named input sizes.

    ``sizes``: the size symbols; ``conditions``: what the formulas assume of the sizes (torch's
    guards of the pass, and the smallest size it derives for); ``thresholds``: for the
    :meth:`simplified` form, the size from which each simplification holds (``None`` for the
    exact form); ``hints``: the example value of each size where the model branched on one.

    >>> import torch, analytic
    >>> f = analytic.profile(torch.nn.Conv1d(1, 1, 3, padding=1), (1, 1, "L"))
    >>> f.formula("flops"), f.conditions
    (6*L, (L >= 2,))
    >>> f.formula("exact")  # the real taps: the two on the zero padding are not counted
    2*LatticeCount(L + 1, L, 3, 1, 1) - 2
    >>> f.simplified().formula("exact"), f.simplified().thresholds
    (6*L - 4, {L: 2})
    >>> f.evaluate(L=5).total["exact"]
    26
    """

    sizes: tuple[Symbol, ...] = ()
    conditions: tuple[sympy.Basic, ...] = ()
    thresholds: dict[Symbol, int] | None = None
    hints: dict[str, int] = field(default_factory=dict)

    def formula(self, convention: str = "flops") -> Expr:
        """The total of ``convention`` as a SymPy expression of the sizes."""
        from .counts import check_convention

        return self.total[check_convention(convention)]

    @cached_property
    def total(self) -> dict[str, Expr]:  # type: ignore[override]
        return {c: sympy.Add(*(r.counts[c] for r in self.rows)) for c in self.conventions}

    def shares(self, convention: str = "flops") -> dict[str, float]:
        raise TypeError("shares of a formula depend on the size: evaluate(...) the profile at a size first")

    def values(self, **sizes: int) -> dict[Symbol, Integer]:
        """The sizes as a substitution, checked: every size named, an int, the conditions met
        (``ValueError`` naming the broken condition)."""
        by_name = {s.name: s for s in self.sizes}
        missing = set(by_name) - set(sizes)
        unknown = set(sizes) - set(by_name)
        if missing or unknown:
            raise ValueError(f"give every size of the formula ({', '.join(by_name)}), got {', '.join(sizes) or 'none'}")
        chosen = {}
        for name, value in sizes.items():
            if not (isinstance(value, int) and not isinstance(value, bool)):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name} ({value}) must be positive: it is a size")
            chosen[by_name[name]] = Integer(value)
        for condition in self.conditions:
            if condition.xreplace(chosen) is not sympy.true:
                raise ValueError(f"{', '.join(f'{k} = {v}' for k, v in chosen.items())} breaks the condition"
                                 f" {describe(condition)} under which the formula holds")
        return chosen

    def evaluate(self, **sizes: int) -> Profile:
        """The numeric profile at these sizes (every row and total an int).

        ``ValueError`` when a size breaks one of the :attr:`conditions`."""
        chosen = self.values(**sizes)
        def at(expr):
            return _as_int(expr.xreplace(chosen))

        rows = tuple(ProfileRow(r.name, r.type, r.op, *(_leaves(v, at) for v in (r.input_shape, r.output_shape,
                                                                               r.counts, r.parameters)))
                     for r in self.rows)
        return Profile(rows, dict(self.uncounted), self.conventions, self.device)

    def simplified(self, multiple_of: Mapping[str, int] | None = None) -> SymbolicProfile:
        """The same profile with every lattice count, positive part, minimum and maximum resolved
        for sizes at or beyond :attr:`thresholds` (which it sets, and adds to the conditions):
        polynomials in the sizes when the strides divide, floors of the sizes otherwise.  The
        threshold of a size is the smallest from which every resolution holds.

        ``multiple_of={"H": 32}`` restricts a size to multiples (a condition added): its floors
        become linear, so a strided model's cost is a polynomial too.  A divisibility the model
        itself needs is used the same way, always."""
        if self.thresholds is not None:
            if multiple_of:
                raise ValueError("multiple_of: call simplified(...) on the exact profile")
            return self
        from .symbolic.asymptotic import Collapser, on_residue

        by_name = {s.name: s for s in self.sizes}
        conditions = self.conditions
        for name, q in (multiple_of or {}).items():
            if name not in by_name:
                raise ValueError(f"multiple_of names {name!r}, not a size of the formula ({', '.join(by_name)})")
            if not (isinstance(q, int) and not isinstance(q, bool) and q >= 1):
                raise ValueError(f"multiple_of[{name!r}] ({q!r}) must be a positive int")
            size = by_name[name]
            conditions = simplify_conditions((*conditions, sympy.Eq(q * sympy.floor(size / q), size)))
        lowest = {s: max([1, *(_lower_bound(c, s) for c in conditions)]) for s in self.sizes}
        residues = [(c.lhs.args[0], int(c.lhs.args[1]), int(c.rhs)) for c in conditions
                    if isinstance(c, sympy.Eq) and isinstance(c.lhs, sympy.Mod) and c.lhs.args[0] in self.sizes
                    and c.lhs.args[1].is_Integer and c.rhs.is_Integer]
        collapser = Collapser(lowest, {size: (period, residue) for size, period, residue in residues})
        expand = {}

        def on_residues(expr):  # a divisibility: the floors of that size are linear
            for size, period, residue in residues:
                expr = on_residue(expr, size, period, residue)
            return expr

        def simple(expr):
            if expr not in expand:
                expand[expr] = sympy.expand(on_residues(collapser(on_residues(expr))))
            return expand[expr]

        rows = tuple(replace(r, counts={c: simple(v) for c, v in r.counts.items()},
                             output_shape=_leaves(r.output_shape, simple)) for r in self.rows)
        thresholds = {s: collapser.thresholds.get(s, lowest[s]) for s in self.sizes}
        extra = tuple(sympy.Ge(s, t) for s, t in thresholds.items() if t > lowest[s])
        return replace(self, rows=rows, thresholds=thresholds, conditions=simplify_conditions(conditions + extra))

    def to_latex_formulas(self, convention: str = "flops", environment: str = "align*") -> str:
        r"""An ``align*`` block (``amsmath``): the count of each counted row, then the total, as
        formulas of the sizes, followed by the conditions."""
        from .symbolic.export import latex

        lines = []
        for r in self.rows:
            label = latex_escape(r.name or "(model)")
            lines.append(rf"\mathrm{{{label}}} &= {latex(r.counts[convention])}")
        lines.append(rf"\text{{total}} &= {latex(self.formula(convention))}")
        body = " \\\\\n".join(lines)
        conditions = ", ".join(f"${latex(c)}$" for c in self.conditions)
        note = f"\n% {convention}, for {', '.join(s.name for s in self.sizes)} with {conditions}" if conditions else ""
        return f"\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}{note}"

    def to_python(self, convention: str = "flops"):
        """The total of ``convention`` as a Python function of the sizes (keywords allowed), exact
        on ints; ``ValueError`` for sizes that break the conditions."""
        from .symbolic.export import to_python

        return to_python(self._integral(convention), self.sizes, check=self._checker())

    def python_source(self, convention: str = "flops", name: str = "count") -> str:
        """Source of a Python module defining ``name(sizes...)`` for the total of ``convention``."""
        from .symbolic.export import python_source

        return python_source(self._integral(convention), name, self.sizes, conditions=self.conditions)

    def c_source(self, convention: str = "flops", name: str = "count") -> str:
        """C99 source of ``int64_t name(int64_t sizes...)`` for the total of ``convention``:
        checked int64 arithmetic (``name_overflow``), the conditions checked (``name_invalid``)."""
        from .symbolic.export import c_source

        return c_source(self._integral(convention), name, self.sizes, conditions=self.conditions)

    def to_c(self, convention: str = "flops", compiler: str = "cc"):
        """:meth:`c_source` compiled with the system C compiler, as a Python callable."""
        from .symbolic.export import to_c

        return to_c(self._integral(convention), self.sizes, compiler, check=self._checker(),
                    conditions=self.conditions)

    def _integral(self, convention: str) -> Expr:
        """The total, with fractional coefficients (a simplified form on multiples of a period:
        ``H/16``) under one floor, which is exact: the value is an integer where the conditions hold."""
        expr = self.formula(convention)
        outside = expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), lambda e: Integer(0))
        if any(not r.is_Integer for r in outside.atoms(sympy.Rational)):
            return sympy.floor(expr)
        return expr

    def _checker(self):
        def check(values: dict[str, int]) -> dict[str, int]:
            self.values(**values)
            return values

        return check

    def to_json(self) -> str:
        """Every row and the total as expression trees (the format of
        :func:`analytic.symbolic.to_json`), with the sizes, conditions and thresholds."""
        from .symbolic.export import expression_tree as _node

        def shape(value):
            return None if value is None else [_node(sympy.sympify(v)) for v in value]

        return json.dumps({
            "format": "tapcount-profile-formula", "version": 1, "conventions": list(self.conventions),
            "covers": COVERED, "sizes": [s.name for s in self.sizes], "hints": self.hints,
            "conditions": [_node(c) for c in self.conditions],
            "thresholds": None if self.thresholds is None else {s.name: t for s, t in self.thresholds.items()},
            "rows": [{"name": r.name, "type": r.type, "op": r.op, "input_shape": shape(r.input_shape),
                      "output_shape": shape(r.output_shape), "counts": {c: _node(v) for c, v in r.counts.items()}}
                     for r in self.rows],
            "uncounted": self.uncounted, "total": {c: _node(v) for c, v in self.total.items()},
        }, indent=2, sort_keys=True)


def _lower_bound(condition: sympy.Basic, size: Symbol) -> int:
    """The bound ``b`` of a condition ``size >= b`` (1 for any other condition)."""
    if isinstance(condition, sympy.GreaterThan) and condition.lhs == size and condition.rhs.is_Integer:
        return int(condition.rhs)
    return 1


def symbolic_profile(model, input_shape=None, *, example_inputs=None, conventions: Sequence[str] = CONVENTIONS,
                     hints: Mapping[str, int] | None = None) -> SymbolicProfile:
    """:func:`analytic.profile` when a shape names a size: the counts as formulas of the sizes."""
    import torch
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.fx.experimental.symbolic_shapes import DimDynamic, ShapeEnv, StatelessSymbolicContext

    shapes = _shapes(input_shape, example_inputs)
    names = list(dict.fromkeys(v for shape in shapes for v in shape if _is_name(v)))
    hints = _check_hints(hints, names)
    env = ShapeEnv(duck_shape=False)
    mode = FakeTensorMode(shape_env=env)
    first = next(iter(model.parameters()), None)
    dtype = first.dtype if first is not None and first.dtype.is_floating_point else torch.get_default_dtype()
    sizes: dict[str, object] = {}
    for name in names:  # one symbolic size per name, shared by every shape naming it
        probe = mode.from_tensor(torch.empty(hints[name], device="meta"),
                                 symbolic_context=StatelessSymbolicContext(dynamic_sizes=[DimDynamic.DYNAMIC]))
        sizes[name] = probe.shape[0]
    with mode:
        inputs = tuple(torch.empty([sizes[v] if _is_name(v) else v for v in shape], dtype=dtype, device="meta")
                       for shape in shapes)
    symbols = {name: size_symbol(name) for name in names}
    internal = {sizes[name].node.expr: symbols[name] for name in names}
    # fake meta tensors of static shapes (on the meta device torch's convolutions pick no backend
    # by size, so the pass adds no condition of its own)
    copied = meta_copy(model, lambda t: mode.from_tensor(torch.empty_like(t, device="meta"), static_shapes=True))
    def watch(op, args, kwargs, calls):  # a size torch fixes to its example value: stop before a loop over it
        if op in _SPLITS and isinstance(args[0], torch.Tensor):
            dim = (args[2] if len(args) > 2 else kwargs.get("dim", 0)) if op != "aten.unbind" else (
                args[1] if len(args) > 1 else kwargs.get("dim", 0))
            if isinstance(args[0].shape[dim], torch.SymInt):
                free = args[0].shape[dim].node.expr.free_symbols
                raise _Fixed([name for name in names if sizes[name].node.expr in free] or names)
        if calls % 64 == 0:
            fixed = [name for name in names if env.replace(sizes[name].node.expr).is_Integer]
            if fixed:
                raise _Fixed(fixed)
        if calls > MAX_SYMBOLIC_CALLS:
            raise _TooManyCalls

    quiet = logging.getLogger("torch._subclasses.fake_tensor")  # it logs a kernel's failure we recover from
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with mode:
            rows, uncounted = count_calls(copied, inputs, tuple(conventions), internal_modules(copied),
                                     size=_symbolic_size, cache={}, watch=watch)
    except _Fixed as error:
        raise RuntimeError(_fixed_message(error.names, hints)) from None
    except _TooManyCalls:
        raise RuntimeError(f"no formula: the forward pass ran more than {MAX_SYMBOLIC_CALLS:,} operator calls on"
                           f" symbolic sizes (a loop over a size, as an RNN's over its time steps); profile the"
                           f" model at a numeric size instead") from None
    except Exception as error:  # the user's forward, or an operator that needs values
        kind = type(error).__name__
        needs_values = "DataDependent" in kind or "Unsupported" in kind
        raise RuntimeError(f"no formula: the model's forward pass on symbolic sizes failed: {kind}: "
                           f"{str(error).splitlines()[0] if str(error) else ''}"
                           + (" (an operator needs tensor values: profile the model at a numeric size instead)"
                              if needs_values else "")) from error
    finally:
        quiet.setLevel(level)

    final = {s: _plain(env.replace(s)).xreplace(internal) for s in internal}
    fixed = [internal[s].name for s, v in final.items() if v.is_Integer]
    if fixed:
        raise RuntimeError(_fixed_message(fixed, hints))

    plain: dict = {}

    def user(expr):  # in the user's symbols, once per distinct expression
        if expr not in plain:
            plain[expr] = _plain(expr.xreplace(final))
        return plain[expr]

    counted = []
    for r in rows:
        counted.append(ProfileRow(r.name, r.type, r.op, _leaves(r.input_shape, user), _leaves(r.output_shape, user),
                                  {c: sympy.sympify(_leaves(v, user)) for c, v in r.counts.items()},
                                  _leaves(r.parameters, user)))
    conditions = []
    for name in names:
        bounds = env.var_to_range.get(sizes[name].node.expr)
        if bounds is not None and bounds.lower.is_Integer and int(bounds.lower) > 1:
            conditions.append(sympy.Ge(symbols[name], int(bounds.lower)))
        if bounds is not None and bounds.upper.is_Integer:
            conditions.append(sympy.Le(symbols[name], int(bounds.upper)))
    for guard in env.guards:
        condition = _plain(guard.expr).xreplace(final)
        if condition is not sympy.true and condition not in conditions:
            conditions.append(condition)
    allowed = set(symbols.values())
    for r in counted:
        stray = set().union(*(v.free_symbols for v in r.counts.values())) - allowed
        if stray:
            raise RuntimeError(f"no formula: the sizes of {r.name or '(model)'}'s {r.op} depend on tensor values"
                               f" ({', '.join(sorted(map(str, stray)))}); profile it at a numeric size instead")
    return SymbolicProfile(tuple(counted), dict(uncounted), tuple(conventions), "meta",
                           sizes=tuple(symbols.values()), conditions=simplify_conditions(conditions), hints=hints)


#: the most operator calls a pass on symbolic sizes runs (a loop over a symbolic size, an RNN's
#: over its time steps, would otherwise run as many times as the size's example value)
MAX_SYMBOLIC_CALLS = 50_000


class _TooManyCalls(Exception):
    pass


#: operators whose number of outputs is a size of their input (a tensor per step or per chunk):
#: on a symbolic size they fix it, and make as many tensors as its example value
_SPLITS = ("aten.unbind", "aten.split", "aten.unsafe_split")


class _Fixed(Exception):
    def __init__(self, names):
        super().__init__(names)
        self.names = names


def _fixed_message(names, hints) -> str:
    fixed = ", ".join(f"{name} = {hints[name]}" for name in names)
    return (f"no formula: the model fixes {fixed}, the example value (torch specialised the size: a float"
            f" computation such as F.interpolate's scale_factor, or a loop over it as in an RNN); give that size"
            f" as a number")


def _symbolic_size(value) -> object:
    """A size of a fake tensor: an int, or the SymPy expression of a symbolic size."""
    import torch

    if isinstance(value, torch.SymInt):
        expr = value.node.expr
        return int(expr) if expr.is_Integer else expr
    return int(value)

