"""The symbols of the derivation, named exactly like torch's keywords, with their assumptions,
and the conventional names they print with in LaTeX."""

from __future__ import annotations

from sympy import Symbol

__all__ = [
    "length", "kernel_size", "stride", "padding", "output_padding", "dilation",
    "batch", "in_channels", "out_channels", "groups", "bias",
    "FILTER_SYMBOLS", "MODULE_SYMBOLS", "LATEX_NAMES", "BY_NAME",
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
BY_NAME = {s.name: s for s in MODULE_SYMBOLS}

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
