"""JSON trees of expressions, and reading them back without evaluating text, in bounded time."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from sympy import Expr, Integer, Rational, Symbol

from .. import symbols as sy
from .common import FUNCTIONS, RELATIONS, identifier

__all__ = ["JSON_LIMITS", "expression_tree", "from_json", "to_json"]


def expression_tree(expr: Expr) -> object:
    if isinstance(expr, Integer):
        return {"int": str(int(expr))}
    if isinstance(expr, Rational):
        return {"rational": [str(expr.p), str(expr.q)]}
    if isinstance(expr, Symbol):
        return {"symbol": expr.name}
    name = type(expr).__name__
    if name not in FUNCTIONS and name not in RELATIONS:
        raise ValueError(f"cannot export {name} to JSON (supported: {', '.join(FUNCTIONS)})")
    return {"op": name, "args": [expression_tree(a) for a in expr.args]}


def to_json(expr: Expr) -> str:
    """A JSON tree of ``expr``: ``{"int": "3"}``, ``{"rational": ["1", "2"]}``,
    ``{"symbol": "length"}`` (keyword symbols, with their assumptions), ``{"op": "Add", "args":
    [...]}`` for the whitelisted heads.  :func:`from_json` rebuilds it without evaluating text.

    >>> from analytic import symbolic
    >>> e = symbolic.exact_additions_per_filter()
    >>> from_json(to_json(e)) == e
    True
    """
    return json.dumps({"format": "tapcount-expr", "version": 1, "expr": expression_tree(expr)})


#: bounds on what :func:`from_json` builds, so that any document is read in bounded time and memory
JSON_LIMITS = {"characters": 10**7, "depth": 200, "nodes": 200_000, "digits": 1000, "total_digits": 10_000,
               "exponent": 64, "degree": 64, "comparisons": 32}


def _integer(text: object, budget: list[int]) -> int:
    if not (isinstance(text, str) and re.fullmatch(r"-?[0-9]+", text)):
        raise ValueError(f"malformed integer {str(text)[:80]!r}")
    digits = len(text.lstrip("-"))
    budget[1] -= digits
    if digits > JSON_LIMITS["digits"] or budget[1] < 0:
        raise ValueError(f"integers of at most {JSON_LIMITS['digits']} digits, {JSON_LIMITS['total_digits']} in all")
    return int(text)


def _build(node: object, depth: int, budget: list[int], sizes: Mapping[str, Symbol]) -> tuple[Expr, int]:
    """The expression of ``node`` and a bound on its degree in the sizes (powers multiply it,
    products add it, any other head keeps the largest of its arguments')."""
    budget[0] -= 1
    if budget[0] < 0 or depth > JSON_LIMITS["depth"]:
        raise ValueError(f"expression too large: at most {JSON_LIMITS['nodes']} nodes, {JSON_LIMITS['depth']} deep")
    if not isinstance(node, dict):
        raise ValueError(f"malformed expression node: {str(node)[:80]!r}")
    if "int" in node:
        return Integer(_integer(node["int"], budget)), 0
    if "rational" in node:
        if not (isinstance(node["rational"], list) and len(node["rational"]) == 2):
            raise ValueError("a rational is [numerator, denominator]")
        p, q = (_integer(v, budget) for v in node["rational"])
        if q == 0:
            raise ValueError("a rational's denominator must not be 0")
        return Rational(p, q), 0
    if "symbol" in node:
        if isinstance(node["symbol"], str) and node["symbol"] in sizes:
            return sizes[node["symbol"]], 1
        if not isinstance(node["symbol"], str) or node["symbol"] not in sy.BY_NAME:
            raise ValueError(f"unknown symbol {str(node['symbol'])[:80]!r} (keywords only)")
        return sy.BY_NAME[node["symbol"]], 1
    op = node.get("op")
    heads = {**FUNCTIONS, **RELATIONS}
    if isinstance(op, str) and op in heads:
        if not isinstance(node.get("args"), list):
            raise ValueError(f"{op} needs a list of args")
        if op in ("Max", "Min") and len(node["args"]) > JSON_LIMITS["comparisons"]:
            raise ValueError(f"{op} of {len(node['args'])} arguments, at most {JSON_LIMITS['comparisons']}")
        built = [_build(a, depth + 1, budget, sizes) for a in node["args"]]
        args = [expr for expr, _ in built]
        if op in ("Max", "Min"):  # SymPy compares a maximum's arguments pairwise, nested ones flattened
            flat = sum(len(a.args) if type(a) is heads[op] else 1 for a in args)
            if flat > JSON_LIMITS["comparisons"]:
                raise ValueError(f"{op} of {flat} arguments (nested ones included), at most"
                                 f" {JSON_LIMITS['comparisons']}")
        degrees = [degree for _, degree in built]
        degree = sum(degrees) if op == "Mul" else max(degrees, default=0)
        if op == "Pow" and len(args) == 2:
            if not (args[1].is_Integer and abs(args[1]) <= JSON_LIMITS["exponent"]):
                raise ValueError(f"a power's exponent must be an integer of at most {JSON_LIMITS['exponent']}")
            degree = degrees[0] * int(abs(args[1]))
            if args[0].is_Number:  # its digits count against the document's
                budget[1] -= len(str(abs(args[0]))) * int(abs(args[1]))
                if budget[1] < 0:
                    raise ValueError(f"integers and powers of integers of at most {JSON_LIMITS['total_digits']}"
                                     f" digits in all")
        if degree > JSON_LIMITS["degree"]:  # nested powers merge: (x**64)**64 is x**4096
            raise ValueError(f"an expression of degree at most {JSON_LIMITS['degree']} in the sizes")
        try:
            return heads[op](*args), degree
        except TypeError as error:  # wrong number of arguments
            raise ValueError(f"{op}: {error}") from None
    raise ValueError(f"unknown operation {str(op)[:80]!r}")


def from_json(text: str, sizes: Sequence[Symbol] = ()) -> Expr:
    """Rebuild an expression written by :func:`to_json` (no ``eval``, no ``sympify``), in bounded
    time and memory (:data:`JSON_LIMITS`): ``ValueError`` for anything else.  ``sizes``: the size
    symbols a symbolic profile's formulas may hold, besides the keyword symbols."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    try:
        if len(text) > JSON_LIMITS["characters"]:
            raise ValueError(f"{len(text)} characters, at most {JSON_LIMITS['characters']}")
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ValueError(f"not JSON: {str(error)[:200]}") from None
        if not isinstance(document, dict) or document.get("format") != "tapcount-expr" or document.get("version") != 1:
            raise ValueError("not a tapcount-expr version 1 document")
        allowed = {identifier(getattr(v, "name", v)): v for v in sizes}
        return _build(document.get("expr"), 0, [JSON_LIMITS["nodes"], JSON_LIMITS["total_digits"]], allowed)[0]
    except ValueError as error:
        raise ValueError(f"text: {error}") from None
