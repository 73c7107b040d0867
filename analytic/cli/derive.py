"""``tapcount derive``: the closed forms, in LaTeX, text, Python, C or JSON, optionally specialised."""

from __future__ import annotations

QUANTITIES = ("additions_per_filter", "exact_additions_per_filter", "output_length", "taps_kept",
              "covered_positions", "ops")
FORMATS = ("latex", "text", "python", "c", "json")

__all__ = ["QUANTITIES", "FORMATS", "derive"]


def derive(quantity: str | None, convention: str | None, bias: bool | None, fmt: str,
           values: dict[str, int]) -> str:
    """The expression of ``quantity`` (default ``additions_per_filter``; ``ops`` under
    ``convention``) with ``values`` substituted, printed in ``fmt``."""
    from .. import symbolic
    from ..core.conventions import check_convention

    if convention is not None and quantity not in (None, "ops"):
        raise ValueError(f"--convention gives a module total (--quantity ops), not --quantity {quantity}")
    quantity = "ops" if convention is not None else quantity or "additions_per_filter"
    if quantity == "ops":
        expr = symbolic.ops(check_convention(convention or "moduleprofiler"), bias=bias)
    else:
        if bias is not None:
            raise ValueError("--bias/--no-bias applies to module totals: add --convention")
        expr = symbolic.quantity(quantity)
    symbolic.check_values(values)  # each value its own rule; torch's rules once all are given
    expr = expr.subs({symbolic.symbols.BY_NAME[k]: v for k, v in values.items()})
    name = quantity if quantity != "ops" else f"ops_{convention or 'moduleprofiler'}"
    if fmt == "latex":
        return symbolic.latex(expr)
    if fmt == "text":
        return str(expr)
    if fmt == "python":
        return symbolic.python_source(expr, name=name)
    if fmt == "c":
        return symbolic.c_source(expr, name=name)
    return symbolic.to_json(expr)
