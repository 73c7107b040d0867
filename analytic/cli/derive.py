"""``tapcount derive``: the closed forms, in LaTeX, text, Python, C or JSON, optionally specialised."""

from __future__ import annotations

import json

QUANTITIES = ("additions_per_filter", "exact_additions_per_filter", "output_length", "taps_kept",
              "covered_positions", "ops")
FORMATS = ("latex", "text", "python", "c", "json")

__all__ = ["QUANTITIES", "FORMATS", "derive"]


def derive(quantity: str | None, convention: str | None, bias: bool | None, fmt: str,
           values: dict[str, int]) -> str:
    """The expression of ``quantity`` (default ``additions_per_filter``; ``ops`` under
    ``convention``) with ``values`` substituted, printed in ``fmt``."""
    from .. import symbolic
    from ..core import rules
    from ..core.conventions import check_convention
    from ..symbolic.constraints import conditions
    from ..symbolic.export import expression_tree
    from ..symbolic.export.python import describe

    if convention is not None and quantity not in (None, "ops"):
        raise ValueError(f"--convention gives a module total (--quantity ops), not --quantity {quantity}")
    quantity = "ops" if convention is not None else quantity or "additions_per_filter"
    if quantity == "ops":
        expr = symbolic.ops(check_convention(convention or "moduleprofiler"), bias=bias)
    else:
        if bias is not None:
            raise ValueError("--bias/--no-bias applies to module totals: add --convention")
        expr = symbolic.quantity(quantity)
    symbolic.check_values(values)  # each value its own rule
    # torch's rules: refused if the values break one whatever the others, else what they leave
    # (nothing given: the formula of every configuration torch accepts)
    tables = (rules.TRANSPOSED, rules.CHANNELS) if quantity == "ops" else (rules.TRANSPOSED,)
    holds = conditions(values, tables) if values else ()
    expr = expr.subs({symbolic.symbols.BY_NAME[k]: v for k, v in values.items()})
    name = quantity if quantity != "ops" else f"ops_{convention or 'moduleprofiler'}"
    where = ", ".join(describe(c) for c in holds)
    if fmt == "json":
        document = json.loads(symbolic.to_json(expr))
        document["conditions"] = [expression_tree(c) for c in holds]
        return json.dumps(document)
    printed = {"latex": lambda: symbolic.latex(expr), "text": lambda: str(expr),
               "python": lambda: symbolic.python_source(expr, name=name),
               "c": lambda: symbolic.c_source(expr, name=name)}[fmt]()
    comment = {"latex": "%", "text": "#", "python": "#", "c": "//"}[fmt]
    return f"{printed}\n{comment} holds where {where}" if where else printed
