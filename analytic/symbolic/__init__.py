r"""tapcount's counts as SymPy expressions, derived (SymPy does the sums), exported to LaTeX and code.

Free symbols are named exactly like torch's keywords (``length``, ``kernel_size``, ``stride``,
``padding``, ``output_padding``, ``dilation``; for :func:`ops` also ``batch``, ``in_channels``,
``out_channels``, ``groups``), so substituting the numeric call's values gives its integer:

>>> from analytic import symbolic
>>> from analytic.symbolic.symbols import length, kernel_size, stride, padding, output_padding, dilation
>>> expr = symbolic.additions_per_filter()
>>> expr.subs({length: 2, kernel_size: 3, stride: 1, padding: 0, output_padding: 0, dilation: 1})
2
>>> symbolic.evaluate(expr, length=2, kernel_size=3)  # by keyword, torch's defaults for the rest
2
>>> print(symbolic.latex(symbolic.output_length()))
d \left(k - 1\right) + p_{\mathrm{out}} - 2 p + s \left(L_{\mathrm{in}} - 1\right) + 1

Symbols carry assumptions, so ``expr.subs({"length": 2})`` with *strings* would not match them:
use the symbols of :mod:`analytic.symbolic.symbols`, or :func:`evaluate`.

The package loads SymPy on first use of one of its names, not on import: its modules are

- :mod:`.functions` and :mod:`.symbols` — SymPy's twins of the integer core's lattice count, gcd,
  exact quotient and positive part, and the keyword symbols with their paper names;
- :mod:`.arithmetic` — which arithmetic a formula evaluates in (ints, or SymPy's);
- :mod:`.derivation` — the derivation, step by step, SymPy doing the sums; :mod:`.transposed` and
  :mod:`.convolution` — the formulas evaluated on symbols by the integer core's own functions;
  :mod:`.expressions` — the public expressions; :mod:`.regimes` — special cases;
- :mod:`.asymptotic` — the simplified form of a formula for large sizes, and its conditions;
- :mod:`.export` — LaTeX, Python, NumPy, C and JSON; :mod:`.paper` — the derivation in LaTeX.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the module (of this package) that defines it
_NAMES = {
    **dict.fromkeys(("output_length", "additions_per_filter", "exact_additions_per_filter", "taps_kept",
                     "covered_positions", "ops", "quantity", "filter_quantity", "evaluate", "DEFAULTS"),
                    "expressions"),
    "check_values": "expressions",
    **dict.fromkeys(("steps", "step", "expand"), "derivation"),
    **dict.fromkeys(("REGIMES", "specialise"), "regimes"),
    **dict.fromkeys(("LatticeCount", "IntGcd", "ExactQuotient", "PositivePart", "expand_sums"), "functions"),
    **dict.fromkeys(("latex", "to_python", "python_source", "to_numpy", "to_c", "c_source", "to_json",
                     "from_json"), "export"),
    **dict.fromkeys(("align_block", "standalone_document"), "paper"),
    **dict.fromkeys(("conv_quantity", "conv_ops", "CONV_QUANTITIES"), "convolution"),
}
#: names that are other names of a module (``check_values`` is the keyword rules' check)
_ALIASES = {"check_values": "check_keywords"}

#: the modules of this package, reachable as attributes (``symbolic.export``)
_MODULES = ("arithmetic", "asymptotic", "convolution", "derivation", "export", "expressions", "functions", "paper",
            "regimes", "symbols")

__all__ = [*_NAMES, "symbols"]


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        module = importlib.import_module(f".{_NAMES[name]}", __name__)
        value = getattr(module, _ALIASES.get(name, name))
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
