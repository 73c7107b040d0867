"""torch's rules as conditions on the keywords a formula leaves free.

The rule tables of :mod:`analytic.core.rules` are written with comparisons, ``&`` and ``|`` only,
so their predicates evaluate on SymPy symbols as on ints.  Given some keyword values,
:func:`conditions` gives every rule they do not decide as a condition on the others (in integers:
``dilation > 5`` reads ``dilation >= 6``), drops the rules they satisfy, and refuses, with a
``ValueError`` naming the rule, values that break one whatever the other keywords are.

>>> conditions({"stride": 2, "output_padding": 5})[0]
dilation >= 6
>>> conditions({"stride": 2, "output_padding": 5, "dilation": 1})
Traceback (most recent call last):
...
ValueError: output_padding (5) must be smaller than stride (2) or dilation (1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from ..core import rules
from ..core.coercion import as_int
from . import symbols

__all__ = ["conditions"]


def _integral(relation: sympy.Basic) -> sympy.Basic:
    """An inequality of integers said plainly: ``Mod(c, g) < 1`` as ``Eq(Mod(c, g), 0)``, and one
    linear in a single keyword solved for it, strict as non-strict (``5 < d`` as ``d >= 6``,
    ``o - 9 >= 1`` as ``o >= 10``)."""
    difference = relation.lhs - relation.rhs  # the relation says: difference > (>=, <, <=) 0
    if isinstance(relation.lhs, sympy.Mod) and isinstance(relation, sympy.StrictLessThan) and relation.rhs == 1:
        return sympy.Eq(relation.lhs, 0)
    free = difference.free_symbols
    if len(free) != 1:
        return relation
    (x,) = free
    poly = sympy.Poly(difference, x) if difference.is_polynomial(x) else None
    if poly is None or poly.degree() != 1:
        return relation
    a, b = poly.all_coeffs()
    bound = -b / a
    upward = isinstance(relation, (sympy.GreaterThan, sympy.StrictGreaterThan)) == (a > 0)
    strict = isinstance(relation, (sympy.StrictGreaterThan, sympy.StrictLessThan))
    if upward:  # x > bound or x >= bound
        return sympy.Ge(x, sympy.floor(bound) + 1 if strict else sympy.ceiling(bound))
    return sympy.Le(x, sympy.ceiling(bound) - 1 if strict else sympy.floor(bound))


def _plainly(condition: sympy.Basic) -> sympy.Basic:
    return condition.replace(lambda e: isinstance(e, sympy.core.relational.Relational), _integral)


def conditions(values: Mapping[str, object], tables: Sequence[Sequence[rules.Rule]] = (rules.TRANSPOSED,
                                                                                       rules.CHANNELS)
               ) -> tuple[sympy.Basic, ...]:
    """The rules of ``tables`` that ``values`` (keyword -> int) leave undecided, as conditions on
    the other keywords' symbols; ``ValueError`` for a rule the values break, whatever the others."""
    ints = {name: as_int(name, value) for name, value in values.items()}
    found: list[sympy.Basic] = []
    for table in tables:
        rules.check(table, ints)  # every rule whose keywords are all given: torch's message
        for rule in table:
            given = [name for name in rule.names if name in ints]
            if len(given) == len(rule.names):
                continue
            arguments = [ints[name] if name in ints else symbols.BY_NAME[name] for name in rule.names]
            condition = sympy.sympify(rule.predicate(*arguments))
            if condition is sympy.false:
                free = ", ".join(name for name in rule.names if name not in ints)
                rule_text = rule.predicate(*(symbols.BY_NAME[name] for name in rule.names))
                raise ValueError(f"{', '.join(f'{n}={ints[n]}' for n in given)} break the rule {rule_text}"
                                 f" whatever {free}")  # (a rule of free keywords alone is never false)
            if condition is not sympy.true and condition not in found:
                found.append(_plainly(condition))
    return tuple(found)
