r"""A model's cost as a formula of its input sizes: the :class:`SymbolicProfile` that
:func:`analytic.profile` returns when a shape names a size.

Its rows and totals are SymPy expressions of the named sizes, with the conditions under which they
hold (torch's guards of the pass); :meth:`SymbolicProfile.evaluate` gives the numeric profile at a
size, :meth:`SymbolicProfile.simplified` the form for sizes beyond a threshold it computes
(:mod:`analytic.symbolic.asymptotic`), and the formulas export to LaTeX (per layer and total),
Python, C and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import sympy
from sympy import Expr, Integer, Symbol

from ..core.coercion import as_int
from ..core.tables import latex_escape
from ..formulas import FORMULAS
from ..symbolic.asymptotic import Collapser, on_residue, simplify_conditions
from ..symbolic.export import c_source, expression_tree, latex, python_source, to_c, to_python
from ..symbolic.export.python import describe
from .inputs import spec_sizes
from .numeric import numeric_profile
from .result import COVERED, Profile, ProfileRow

__all__ = ["SymbolicProfile", "describe", "leaves"]


def leaves(value: object, function) -> object:
    """``value`` (a SymPy expression, or a tuple or dict of them, nested) with ``function``
    applied to each expression in it."""
    if isinstance(value, sympy.Basic):
        return function(value)
    if isinstance(value, tuple):
        return tuple(leaves(v, function) for v in value)
    if isinstance(value, dict):
        return {k: leaves(v, function) for k, v in value.items()}
    return value


def _as_int(expr: Expr) -> int:
    if not expr.is_Integer:
        raise ValueError(f"{expr} did not evaluate to an integer")
    return int(expr)


def _int_of(value, at) -> int:
    """An int, or a SymPy expression evaluated by ``at``."""
    return at(value) if isinstance(value, sympy.Basic) else int(value)


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
    (6*L, ())
    >>> f.formula("exact")  # the real taps: the two on the zero padding are not counted
    2*LatticeCount(L + 1, L, 3, 1, 1) - 2
    >>> f.simplified().formula("exact"), f.simplified().thresholds
    (6*L - 4, {L: 1})
    >>> f.evaluate(L=5).total["exact"]
    26
    """

    sizes: tuple[Symbol, ...] = ()
    conditions: tuple[sympy.Basic, ...] = ()
    thresholds: dict[Symbol, int] | None = None
    hints: dict[str, int] = field(default_factory=dict)
    #: the inputs the formulas are of: each its shape (ints and names) and dtype
    inputs: tuple = ()
    #: whether the formulas count a backward pass too
    backward: bool = False

    def formula(self, convention: str = "flops") -> Expr:
        """The total of ``convention`` as a SymPy expression of the sizes."""
        return self.total[self.convention(convention)]

    @cached_property
    def total(self) -> dict[str, Expr]:  # type: ignore[override]
        return {c: sympy.Add(*(r.counts[c] for r in self.rows)) for c in self.conventions}

    @cached_property
    def phases(self) -> dict[str, dict[str, Expr]]:  # type: ignore[override]
        return {phase: {c: sympy.Add(*(r.counts[c] for r in self.rows if r.phase == phase)) for c in self.conventions}
                for phase in self._phase_names()}

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
            value = as_int(name, value)
            if value < 1:
                raise ValueError(f"{name} ({value}) must be positive: it is a size")
            chosen[by_name[name]] = Integer(value)
        for condition in self.conditions:
            if condition.xreplace(chosen) is not sympy.true:
                given = ", ".join(f"{k} = {v}" for k, v in chosen.items())
                advice = ""
                if self.hints:  # derived where the model branched on a size: another branch may hold here
                    derived = ", ".join(f"{k} = {v}" for k, v in self.hints.items())
                    wanted = ", ".join(f"{k!r}: {v}" for k, v in sizes.items())
                    advice = (f" (derived at {derived}); if the model runs at these sizes it takes another path"
                              f" there: profile it with hints={{{wanted}}} for the formula of that path")
                raise ValueError(f"{given} breaks the condition {describe(condition)} under which the formula"
                                 f" holds{advice}")
        return chosen

    def evaluate(self, **sizes: int) -> Profile:
        """The numeric profile at these sizes (every row and total an int).

        ``ValueError`` when a size breaks one of the :attr:`conditions`."""
        chosen = self.values(**sizes)
        def at(expr):
            return _as_int(expr.xreplace(chosen))

        rows = tuple(ProfileRow(r.name, r.type, r.op, *(leaves(v, at) for v in (r.input_shape, r.output_shape,
                                                                               r.counts, r.parameters)),
                                r.stack, _int_of(r.output_bytes, at), r.phase, r.differentiates)
                     for r in self.rows)
        return Profile(rows, dict(self.uncounted), self.conventions, self.device, dict(self.data_movement),
                       dict(self.modules), {k: _int_of(v, at) for k, v in self.movement_bytes.items()})

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
        by_name = {s.name: s for s in self.sizes}
        conditions = self.conditions
        if multiple_of is not None and not isinstance(multiple_of, Mapping):
            raise TypeError(f"multiple_of must be a mapping of size name -> int (e.g. {{'L': 2}}), got"
                            f" {type(multiple_of).__name__}")
        for name, q in (multiple_of or {}).items():
            if name not in by_name:
                raise ValueError(f"multiple_of names {name!r}, not a size of the formula ({', '.join(by_name)})")
            q = as_int(f"multiple_of[{name!r}]", q)
            if q < 1:
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
                             output_shape=leaves(r.output_shape, simple)) for r in self.rows)
        thresholds = {s: collapser.thresholds.get(s, lowest[s]) for s in self.sizes}
        extra = tuple(sympy.Ge(s, t) for s, t in thresholds.items() if t > lowest[s])
        return replace(self, rows=rows, thresholds=thresholds, conditions=simplify_conditions(conditions + extra))

    def to_latex_formulas(self, convention: str = "flops", environment: str = "align*") -> str:
        r"""An ``align*`` block (``amsmath``): the count of each counted row, then the total, as
        formulas of the sizes, followed by the conditions."""
        convention = self.convention(convention)
        lines = []
        for r in self.rows:  # (text mode: a module's name escaped as text, inside \text)
            label = latex_escape((r.name or "(model)") + (" (backward)" if r.phase == "backward" else ""))
            lines.append(rf"\text{{{label}}} &= {latex(r.counts[convention])}")
        lines.append(rf"\text{{total}} &= {latex(self.formula(convention))}")
        body = " \\\\\n".join(lines)
        conditions = ", ".join(f"${latex(c)}$" for c in self.conditions)
        note = f"\n% {convention}, for {', '.join(s.name for s in self.sizes)} with {conditions}" if conditions else ""
        return f"\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}{note}"

    def to_python(self, convention: str = "flops"):
        """The total of ``convention`` as a Python function of the sizes (keywords allowed), exact
        on ints; ``ValueError`` for sizes that break the conditions."""
        return to_python(self._integral(convention), self.sizes, check=self._checker())

    def python_source(self, convention: str = "flops", name: str = "count") -> str:
        """Source of a Python module defining ``name(sizes...)`` for the total of ``convention``."""
        return python_source(self._integral(convention), name, self.sizes, conditions=self.conditions)

    def c_source(self, convention: str = "flops", name: str = "count") -> str:
        """C99 source of ``int64_t name(int64_t sizes...)`` for the total of ``convention``:
        checked int64 arithmetic (``name_overflow``), the conditions checked (``name_invalid``)."""
        return c_source(self._integral(convention), name, self.sizes, conditions=self.conditions)

    def to_c(self, convention: str = "flops", compiler: str = "cc"):
        """:meth:`c_source` compiled with the system C compiler, as a Python callable."""
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
        def check(values: dict[str, int]) -> dict[str, int]:  # Python ints (NumPy's would wrap)
            return {s.name: int(v) for s, v in self.values(**values).items()}

        return check

    def plot(self, conventions=("flops",), model=None, points: int = 5, ax=None, **sizes):
        """The cost against one size: ``plot(L=range(4, 200))`` (the other sizes given as ints)
        draws the exact formula, the simplified form from its threshold and, at ``points``
        sizes, the numeric profile of ``model`` (the formula evaluated without it):
        :func:`analytic.profiling.plots.plot_formula` (matplotlib: ``pip install tapcount[plot]``)."""
        try:
            from .plots import plot_formula  # matplotlib, only for a picture
        except ImportError:
            raise ImportError("SymbolicProfile.plot needs matplotlib: pip install tapcount[plot]") from None

        def measure(convention: str, at: dict[str, int]) -> int:  # the model's own profile at these sizes
            shapes = [spec_sizes(spec, at) for spec, _ in self.inputs]
            return numeric_profile(model, shapes, [dtype for _, dtype in self.inputs], [convention], "meta",
                                   FORMULAS, self.backward).total[convention]

        return plot_formula(self, conventions, measure if model is not None and self.inputs else None, points, ax,
                            **sizes)

    def _repr_html_(self) -> None:  # a notebook shows the formulas' LaTeX, not a table of expressions
        return None

    def _repr_latex_(self) -> str:
        """The totals of every convention as formulas of the sizes (the paper names of SymPy's
        printers), with the conditions they hold under: what a notebook shows."""
        step = ", training step" if self.backward else ""
        lines = [rf"\text{{{c}{step}}} &= {latex(self.total[c])}" for c in self.conventions]
        where = ", ".join(latex(c) for c in self.conditions)
        note = rf" \\ & \text{{where }} {where}" if where else ""
        return "$$\\begin{aligned}" + r" \\ ".join(lines) + note + r"\end{aligned}$$"

    def to_json(self) -> str:
        """Every row and the total as expression trees (the format of
        :func:`analytic.symbolic.to_json`), with the sizes, conditions and thresholds."""
        def shape(value):
            return None if value is None else [expression_tree(sympy.sympify(v)) for v in value]

        return json.dumps({
            "format": "tapcount-profile-formula", "version": 1, "conventions": list(self.conventions),
            "covers": COVERED, "sizes": [s.name for s in self.sizes], "hints": self.hints,
            "conditions": [expression_tree(c) for c in self.conditions],
            "thresholds": None if self.thresholds is None else {s.name: t for s, t in self.thresholds.items()},
            "rows": [{"name": r.name, "type": r.type, "op": r.op, "input_shape": shape(r.input_shape),
                      "output_shape": shape(r.output_shape), "phase": r.phase, "differentiates": r.differentiates,
                      "counts": {c: expression_tree(v) for c, v in r.counts.items()}}
                     for r in self.rows],
            "uncounted": self.uncounted, "total": {c: expression_tree(v) for c, v in self.total.items()},
            "phases": {phase: {c: expression_tree(v) for c, v in totals.items()}
                       for phase, totals in self.phases.items()},
        }, indent=2, sort_keys=True)


def _lower_bound(condition: sympy.Basic, size: Symbol) -> int:
    """The bound ``b`` of a condition ``size >= b`` (1 for any other condition)."""
    if isinstance(condition, sympy.GreaterThan) and condition.lhs == size and condition.rhs.is_Integer:
        return int(condition.rhs)
    return 1


