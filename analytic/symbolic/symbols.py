r"""The symbols of the derivation, named exactly like torch's keywords, with their assumptions,
and the conventional names they print with in LaTeX — in SymPy's own printers too
(``sympy.latex(expr)``, a notebook's display), not only in :func:`analytic.symbolic.latex`.

>>> import sympy
>>> sympy.latex(output_padding * kernel_size)
'k p_{\\mathrm{out}}'
"""

from __future__ import annotations

from sympy import Symbol

__all__ = [
    "Named", "named", "latex_name", "length", "kernel_size", "stride", "padding", "output_padding", "dilation",
    "batch", "in_channels", "out_channels", "groups", "bias",
    "FILTER_SYMBOLS", "MODULE_SYMBOLS", "DIM_SYMBOLS", "LATEX_NAMES", "BY_NAME",
]

#: LaTeX name of each named symbol, by its name (filled by :func:`named`)
_LATEX_BY_NAME: dict[str, str] = {}


class Named(Symbol):
    """A SymPy ``Symbol`` that prints in LaTeX under its conventional name (``L_{\\mathrm{in}}``
    for ``length``); ``str`` and code printers keep the keyword name.  An explicit
    ``symbol_names`` setting of the printer still wins."""

    def _latex(self, printer) -> str:
        chosen = printer._settings.get("symbol_names") or {}
        return chosen.get(self, _LATEX_BY_NAME.get(self.name, self.name))


def named(name: str, latex_name: str, **assumptions) -> Named:
    """The symbol ``name`` (integer, with ``assumptions``) printing as ``latex_name`` in LaTeX."""
    _LATEX_BY_NAME[name] = latex_name
    return Named(name, integer=True, **assumptions)


def latex_name(symbol: Symbol) -> str:
    """The LaTeX name a :class:`Named` symbol prints with (its name for any other symbol)."""
    return _LATEX_BY_NAME.get(symbol.name, symbol.name) if isinstance(symbol, Named) else symbol.name


length = named("length", r"L_{\mathrm{in}}", positive=True)
kernel_size = named("kernel_size", "k", positive=True)
stride = named("stride", "s", positive=True)
padding = named("padding", "p", nonnegative=True)
output_padding = named("output_padding", r"p_{\mathrm{out}}", nonnegative=True)
dilation = named("dilation", "d", positive=True)
batch = named("batch", "N", positive=True)
in_channels = named("in_channels", r"C_{\mathrm{in}}", positive=True)
out_channels = named("out_channels", r"C_{\mathrm{out}}", positive=True)
groups = named("groups", "g", positive=True)
#: 1 with a bias, 0 without; :func:`analytic.symbolic.ops` substitutes it unless asked not to.
bias = named("bias", "b", nonnegative=True)

#: the arguments of a per-filter count, in the order of the numeric functions
FILTER_SYMBOLS = (length, kernel_size, stride, padding, output_padding, dilation)
#: the arguments of a module count: torch's constructor order, then the input
MODULE_SYMBOLS = (
    in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
    dilation, batch, length,
)


def _indexed(base: Named, i: int) -> Named:
    latex_name = _LATEX_BY_NAME[base.name]
    latex_name = (latex_name[:-1] + f",{i}}}" if latex_name.endswith("}") and "_{" in latex_name
                  else f"{latex_name}_{{{i}}}")
    return named(f"{base.name}_{i}", latex_name, **{k: v for k, v in base.assumptions0.items()
                                                     if k in ("positive", "nonnegative")})


#: per-dimension symbols of n-d layers: ``DIM_SYMBOLS[i][length]`` is ``length_i``
DIM_SYMBOLS = tuple({base: _indexed(base, i) for base in FILTER_SYMBOLS} for i in range(3))
BY_NAME = {s.name: s for s in MODULE_SYMBOLS}
BY_NAME.update({s.name: s for mapping in DIM_SYMBOLS for s in mapping.values()})

#: the LaTeX name of every keyword symbol (the names :class:`Named` prints)
LATEX_NAMES = {symbol: _LATEX_BY_NAME[name] for name, symbol in BY_NAME.items()}
