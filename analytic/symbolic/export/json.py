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
               "exponent": 64}


def _integer(text: object, budget: list[int]) -> int:
    if not (isinstance(text, str) and re.fullmatch(r"-?[0-9]+", text)):
        raise ValueError(f"malformed integer {str(text)[:80]!r}")
    digits = len(text.lstrip("-"))
    budget[1] -= digits
    if digits > JSON_LIMITS["digits"] or budget[1] < 0:
        raise ValueError(f"integers of at most {JSON_LIMITS['digits']} digits, {JSON_LIMITS['total_digits']} in all")
    return int(text)


def _build(node: object, depth: int, budget: list[int], sizes: Mapping[str, Symbol]) -> Expr:
    budget[0] -= 1
    if budget[0] < 0 or depth > JSON_LIMITS["depth"]:
        raise ValueError(f"expression too large: at most {JSON_LIMITS['nodes']} nodes, {JSON_LIMITS['depth']} deep")
    if not isinstance(node, dict):
        raise ValueError(f"malformed expression node: {str(node)[:80]}")
    if "int" in node:
        return Integer(_integer(node["int"], budget))
    if "rational" in node:
        if not (isinstance(node["rational"], list) and len(node["rational"]) == 2):
            raise ValueError("a rational is [numerator, denominator]")
        p, q = (_integer(v, budget) for v in node["rational"])
        if q == 0:
            raise ValueError("a rational's denominator must not be 0")
        return Rational(p, q)
    if "symbol" in node:
        if isinstance(node["symbol"], str) and node["symbol"] in sizes:
            return sizes[node["symbol"]]
        if not isinstance(node["symbol"], str) or node["symbol"] not in sy.BY_NAME:
            raise ValueError(f"unknown symbol {str(node['symbol'])[:80]!r} (keywords only)")
        return sy.BY_NAME[node["symbol"]]
    op = node.get("op")
    heads = {**FUNCTIONS, **RELATIONS}
    if isinstance(op, str) and op in heads:
        if not isinstance(node.get("args"), list):
            raise ValueError(f"{op} needs a list of args")
        args = [_build(a, depth + 1, budget, sizes) for a in node["args"]]
        if op == "Pow" and len(args) == 2 and not (
                args[1].is_Integer and abs(args[1]) <= JSON_LIMITS["exponent"]
                and (not args[0].is_Number or len(str(abs(args[0]))) * abs(args[1]) <= JSON_LIMITS["total_digits"])):
            raise ValueError(f"a power's exponent must be an integer of at most {JSON_LIMITS['exponent']}, and a"
                             f" number's power have at most {JSON_LIMITS['total_digits']} digits")
        try:
            return heads[op](*args)
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
        return _build(document.get("expr"), 0, [JSON_LIMITS["nodes"], JSON_LIMITS["total_digits"]], allowed)
    except ValueError as error:
        raise ValueError(f"text: {error}") from None
