"""tapcount's counts as SymPy expressions in torch's keywords: per filter, per module, in 1-d to 3-d.

Free symbols are named exactly like torch's keywords (``length``, ``kernel_size``, ``stride``,
``padding``, ``output_padding``, ``dilation``; for :func:`ops` also ``batch``, ``in_channels``,
``out_channels``, ``groups``), so substituting the numeric call's values gives its integer.
"""

from __future__ import annotations

from functools import cache

from sympy import Expr, Integer, Mul

from ..core.conventions import CONVENTIONS, check_convention
from ..core.validation import check_conv_filter, check_keywords
from . import symbols
from .derivation import expand, step
from .transposed import FILTER_QUANTITIES, MODULE_QUANTITIES, transposed_module, transposed_quantity

#: the quantities written by the integer core's functions (the others are the derivation's steps)
GENERATED = (*FILTER_QUANTITIES, *MODULE_QUANTITIES, *CONVENTIONS)

__all__ = [
    "DEFAULTS", "additions_per_filter", "check_keywords", "covered_positions", "evaluate", "exact_additions_per_filter",
    "filter_quantity", "ops", "output_length", "quantity", "taps_kept",
]


@cache
def quantity(key: str) -> Expr:
    """The expression of a quantity in torch's keywords, by key: a per-filter or module quantity
    or a convention's total, the integer core's own functions evaluated on the symbols
    (:mod:`analytic.symbolic.transposed`); any other step of the derivation (``"stride_prime"``,
    ...) as the derivation gives it, fully expanded."""
    if key in GENERATED:
        return transposed_quantity(key)
    return expand(step(key).symbol)


#: torch's defaults for the keywords :func:`evaluate` fills in
DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1, "groups": 1, "batch": 1}


def evaluate(expr: Expr, *, layer: str = "ConvTranspose1d", **values: int) -> Expr:
    """Substitute keyword values (torch's defaults for those not given) and return the result.

    The values obey the numeric API's rules for ``layer`` (``"ConvTranspose1d"``, the default, or
    ``"Conv1d"`` for the expressions of :func:`conv_ops`): a configuration torch refuses raises
    ``ValueError`` instead of giving a number.  The result is an integer when every free symbol
    got a value.

    >>> evaluate(additions_per_filter(), length=2, kernel_size=3)
    2
    >>> from analytic.symbolic import conv_quantity
    >>> evaluate(conv_quantity("output_length"), layer="Conv1d", length=5, kernel_size=3)
    3
    """
    if layer == "Conv1d":
        given = DEFAULTS | values
        chosen = check_keywords({k: v for k, v in given.items() if k != "output_padding"})
        if all(key in chosen for key in ("length", "kernel_size")):  # torch's rules for the convolution
            check_conv_filter(chosen["length"], chosen["kernel_size"], chosen["stride"], chosen["padding"],
                              chosen["padding"], chosen["dilation"])
    elif layer == "ConvTranspose1d":
        chosen = check_keywords(DEFAULTS | values)
    else:
        raise ValueError(f"layer ({layer!r}) must be 'ConvTranspose1d' or 'Conv1d'")
    # xreplace rebuilds the tree bottom-up (every function evaluating on its integers): much
    # faster than subs, and exact
    return expr.xreplace({symbols.BY_NAME[name]: Integer(value) for name, value in chosen.items()})


#: per-filter quantities whose n-d value is the product of the per-dimension values
_PRODUCTS = ("output_length", "taps_kept", "covered_positions")
#: per-filter quantities that are differences of those products
_ADDITIONS = ("additions_per_filter", "exact_additions_per_filter")


def _check_dims(dims: object) -> int:
    if dims not in (1, 2, 3) or isinstance(dims, bool):
        raise ValueError(f"dims ({dims!r}) must be 1, 2 or 3")
    return dims  # type: ignore[return-value]


@cache
def _per_dimension(key: str, dims: int) -> tuple[Expr, ...]:
    """``key``'s 1-d expression written for each dimension's symbols (``length_0``, ...)."""
    return tuple(quantity(key).xreplace(symbols.DIM_SYMBOLS[i]) for i in range(dims))


@cache
def filter_quantity(key: str, dims: int = 1) -> Expr:
    """A per-filter quantity of a ``dims``-d layer: products over dimensions of ``L_out``, ``T``
    and ``Z`` (per-dimension symbols ``length_0``, ``kernel_size_0``, ...); ``A = T - L_out`` and
    ``E = T - Z`` of those products.  ``dims=1`` is the 1-d expression itself."""
    if key not in (*_PRODUCTS, *_ADDITIONS):
        raise ValueError(f"quantity ({key!r}) must be one of {', '.join((*_PRODUCTS, *_ADDITIONS))}")
    if _check_dims(dims) == 1:
        return quantity(key)
    if key in _PRODUCTS:
        return Mul(*_per_dimension(key, dims))
    taps = filter_quantity("taps_kept", dims)
    if key == "additions_per_filter":
        return taps - filter_quantity("output_length", dims)
    return taps - filter_quantity("covered_positions", dims)  # exact_additions_per_filter


def output_length(dims: int = 1) -> Expr:
    """``L_out`` in torch's keywords (n-d: the number of output positions, a product)."""
    return filter_quantity("output_length", dims)


def additions_per_filter(dims: int = 1) -> Expr:
    """moduleprofiler's additions per filter ``A = T - L_out`` (may be negative)."""
    return filter_quantity("additions_per_filter", dims)


def exact_additions_per_filter(dims: int = 1) -> Expr:
    """Exact additions per filter ``E = (n-d')^+ (k-s')^+ - G'(p - l) - G'(q - l)`` (n-d: ``T - Z``)."""
    return filter_quantity("exact_additions_per_filter", dims)


def taps_kept(dims: int = 1) -> Expr:
    """Taps landing inside the output, ``T = n k - G(p) - G(q)`` (n-d: the product)."""
    return filter_quantity("taps_kept", dims)


def covered_positions(dims: int = 1) -> Expr:
    """Output positions receiving at least one tap, ``Z = T - E`` (n-d: the product)."""
    return filter_quantity("covered_positions", dims)


def ops(convention: str = "moduleprofiler", bias: bool | None = True, dims: int = 1) -> Expr:
    """A module's total under ``convention`` (one of ``analytic.CONVENTIONS``).

    ``bias=True``/``False`` substitutes the bias; ``bias=None`` keeps the symbol ``bias`` (0 or 1).
    ``dims`` 2 or 3 gives ConvTranspose2d/3d (per-dimension symbols ``length_0``, ...; the
    moduleprofiler model with products of output sizes and kernel sizes).

    >>> ops("macs")
    batch*kernel_size*length*out_channels*ExactQuotient(in_channels, groups)
    """
    expr = transposed_module(_check_dims(dims))[check_convention(convention)]
    if bias is None:
        return expr
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool or None, got {type(bias).__name__} ({bias!r})")
    return expr.subs(symbols.bias, int(bias))
