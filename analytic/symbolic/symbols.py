"""The symbols of the derivation, named exactly like torch's keywords, with their assumptions,
and the conventional names they print with in LaTeX."""

from __future__ import annotations

from sympy import Symbol

__all__ = [
    "length", "kernel_size", "stride", "padding", "output_padding", "dilation",
    "batch", "in_channels", "out_channels", "groups", "bias",
    "FILTER_SYMBOLS", "MODULE_SYMBOLS", "DIM_SYMBOLS", "LATEX_NAMES", "BY_NAME",
]

length = Symbol("length", integer=True, positive=True)
kernel_size = Symbol("kernel_size", integer=True, positive=True)
stride = Symbol("stride", integer=True, positive=True)
padding = Symbol("padding", integer=True, nonnegative=True)
output_padding = Symbol("output_padding", integer=True, nonnegative=True)
dilation = Symbol("dilation", integer=True, positive=True)
batch = Symbol("batch", integer=True, positive=True)
in_channels = Symbol("in_channels", integer=True, positive=True)
out_channels = Symbol("out_channels", integer=True, positive=True)
groups = Symbol("groups", integer=True, positive=True)
#: 1 with a bias, 0 without; :func:`analytic.symbolic.ops` substitutes it unless asked not to.
bias = Symbol("bias", integer=True, nonnegative=True)

#: the arguments of a per-filter count, in the order of the numeric functions
FILTER_SYMBOLS = (length, kernel_size, stride, padding, output_padding, dilation)
#: the arguments of a module count: torch's constructor order, then the input
MODULE_SYMBOLS = (
    in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
    dilation, batch, length,
)

def _indexed(base: Symbol, i: int) -> Symbol:
    return Symbol(f"{base.name}_{i}", **base.assumptions0)


#: per-dimension symbols of n-d layers: ``DIM_SYMBOLS[i][length]`` is ``length_i``
DIM_SYMBOLS = tuple({base: _indexed(base, i) for base in FILTER_SYMBOLS} for i in range(3))
BY_NAME = {s.name: s for s in MODULE_SYMBOLS}
BY_NAME.update({s.name: s for mapping in DIM_SYMBOLS for s in mapping.values()})

#: pretty names for ``sympy.latex(expr, symbol_names=LATEX_NAMES)``
LATEX_NAMES = {
    length: r"L_{\mathrm{in}}",
    kernel_size: "k",
    stride: "s",
    padding: "p",
    output_padding: r"p_{\mathrm{out}}",
    dilation: "d",
    batch: "N",
    in_channels: r"C_{\mathrm{in}}",
    out_channels: r"C_{\mathrm{out}}",
    groups: "g",
    bias: "b",
}
for _i, _mapping in enumerate(DIM_SYMBOLS):
    for _base, _symbol in _mapping.items():
        _name = LATEX_NAMES[_base]
        LATEX_NAMES[_symbol] = (_name[:-1] + f",{_i}}}" if _name.endswith("}") and "_{" in _name
                                else f"{_name}_{{{_i}}}")
