"""Element-wise operators: arithmetic, comparisons, elementary functions and activations.

The exact count of an element-wise call is its output's elements times the scalar operations of
the operator's defining formula for one element (:data:`PER_ELEMENT`): additions, subtractions,
multiplications, divisions and comparisons count one each, and so does each evaluation of an
elementary function (``exp``, ``log``, ``tanh``, ``erf``, ``sqrt``, ``sin``, ...); a sign change
and a constant known before the call (``sqrt(2)``) cost nothing.  Where an argument changes the
formula (``add``'s ``alpha``, ``gelu``'s ``approximate``, ``softplus``'s ``beta``), the count
follows it.  The defining formula of each operator is written in the README's table.

Arithmetic on complex numbers counts its real operations, as the Fourier transforms' butterflies
do (:data:`COMPLEX_ARITHMETIC`): a complex addition 2, a complex product 6 (a real times a
complex 2), a complex quotient 11 (by a real 2, a real by a complex 7), ``|z|`` 4; an elementary
function of a complex number is one evaluation, as of a real one.

The peer columns follow each tool's own rule (:mod:`analytic.formulas.peers`): ptflops counts
some activations by module and some functional calls, thop, torchinfo and moduleprofiler count
a few activation modules, fvcore and torch's counter count none.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::gelu"]((2, 8), out_shape=(2, 8))["exact"]  # x * (1 + erf(x / sqrt 2)) / 2
80
>>> FORMULAS["aten::add"]((2, 8), (8,), alpha=2, out_shape=(2, 8))["exact"]  # a + 2 * b
32
"""

from __future__ import annotations

from collections.abc import Callable

from . import peers
from .registry import DATA_MOVEMENT, Shape, counts, numel, register_formula

__all__ = ["COMPLEX_ARITHMETIC", "PER_ELEMENT"]


def _one(*args, **kwargs) -> int:
    return 1


def _constant(value: int) -> Callable[..., int]:
    def per_element(*args, **kwargs) -> int:
        return value

    return per_element


def _scaled(base: int, *names_defaults: tuple[str, int, int]) -> Callable[..., int]:
    """``base`` operations, plus one for each keyword (name, position, default) whose value
    differs from its default (a multiplication by it)."""
    def per_element(*args, **kwargs) -> int:
        extra = 0
        for name, position, default in names_defaults:
            value = kwargs.get(name, args[position] if position < len(args) else default)
            extra += value != default
        return base + extra

    return per_element


def _gelu(*args, approximate: str = "none", **kwargs) -> int:
    # none: x * (1 + erf(x / sqrt(2))) / 2 -> a division, erf, an addition, two multiplications
    # tanh: x / 2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) -> x^3 (2), * c (1), + x (1),
    #       * sqrt(2/pi) (1), tanh (1), + 1 (1), * x (1), / 2 (1)
    return 9 if approximate == "tanh" else 5


def _softplus(x, beta=1, threshold=20, **kwargs) -> int:
    # beta x > threshold ? x : log(1 + exp(beta x)) / beta: a comparison, exp, an addition, log,
    # and with beta != 1 the multiplication by beta and the division by it
    return 4 + 2 * (beta != 1)


def _clamp(x, min=None, max=None, **kwargs) -> int:
    return (min is not None) + (max is not None)


def _division(a, b=None, *, rounding_mode=None, **kwargs) -> int:
    return 1 + (rounding_mode is not None)


def _addc(a, b, c, *, value=1, **kwargs) -> int:  # a + value * b * c (or b / c)
    return 2 + (value != 1)


def _logit(x, eps=None, **kwargs) -> int:
    # log(z / (1 - z)), z = x, or x clamped to [eps, 1 - eps] (two comparisons) when eps is given
    return 3 + 2 * (eps is not None)


#: operator name (without ``aten::``) -> operations per output element (a function of the
#: call's arguments); the in-place variant (``name_``) counts the same
PER_ELEMENT: dict[str, Callable[..., int]] = {
    # arithmetic: a + alpha * b
    **dict.fromkeys(("add", "sub", "rsub"), _scaled(1, ("alpha", 2, 1))),
    **dict.fromkeys(("mul", "neg", "reciprocal", "square", "remainder", "fmod", "atan2", "copysign",
                     "maximum", "minimum", "fmax", "fmin", "pow", "float_power"), _one),
    "div": _division, "true_divide": _one, "floor_divide": _constant(2),
    "addcmul": _addc, "addcdiv": _addc, "lerp": _constant(3), "xlogy": _constant(2), "hypot": _constant(4),
    "deg2rad": _one, "rad2deg": _one,               # x * (pi / 180), x * (180 / pi)
    "logaddexp": _constant(4), "logaddexp2": _constant(4),  # log(exp(a) + exp(b)), base 2 alike
    "polar": _constant(4),                          # r cos(t) + i r sin(t)
    "angle": _one,                                  # atan2(im, re); of a real x: x < 0 ? pi : 0
    # comparisons and logic
    **dict.fromkeys(("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
                     "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan",
                     "isinf", "isfinite", "signbit", "sign", "sgn", "abs", "floor", "ceil", "round", "trunc",
                     "frac"), _one),
    "clamp": _clamp, "clip": _clamp, "clamp_min": _one, "clamp_max": _one,
    "heaviside": _constant(2),                      # x == 0 ? v : (x > 0 ? 1 : 0)
    # elementary functions: one evaluation each
    **dict.fromkeys(("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos",
                     "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf",
                     "erfc", "erfinv", "lgamma", "digamma", "polygamma", "i0", "special_i0e", "special_i1",
                     "special_i1e"), _one),
    # activations (their defining formulas, README's table)
    "relu": _one,                                   # max(x, 0)
    "threshold": _one,                              # x > t ? x : v
    "hardtanh": _constant(2),                       # min(max(x, lo), hi): ReLU6 too
    "leaky_relu": _constant(2),                     # x > 0 ? x : a x
    "_prelu_kernel": _constant(2),                  # x > 0 ? x : w x
    "elu": _scaled(4, ("scale", 2, 1), ("input_scale", 3, 1)),  # x > 0 ? x : a (exp(x) - 1); SELU: * l
    "celu": _constant(5),                           # max(0, x) + min(0, a (exp(x / a) - 1)) as x > 0 ? ...
    "gelu": _gelu,
    "sigmoid": _constant(3),                        # 1 / (1 + exp(-x))
    "log_sigmoid_forward": _constant(4),            # -softplus(-x): comparison, exp, addition, log
    "silu": _constant(4),                           # x * sigmoid(x)
    "mish": _constant(6),                           # x * tanh(softplus(x))
    "hardsigmoid": _constant(4),                    # min(max(x + 3, 0), 6) / 6
    "hardswish": _constant(5),                      # x * hardsigmoid(x)
    "softplus": _softplus,
    "hardshrink": _constant(2),                     # |x| > l ? x : 0
    "softshrink": _constant(4),                     # x > l ? x - l : (x < -l ? x + l : 0)
    "glu": _constant(4),                            # a * sigmoid(b), per output element
    "rrelu_with_noise": _constant(2),               # x >= 0 ? x : a x (a drawn, or (l + u) / 2)
    "sinc": _constant(4),                           # x == 0 ? 1 : sin(pi x) / (pi x)
    "logit": _logit,
}

#: element-wise operators that only select or copy values: zero arithmetic
SELECTIONS = ("where", "masked_fill", "masked_scatter", "bernoulli", "uniform", "normal", "random", "fill",
              "zero", "nan_to_num", "lift_fresh", "exponential", "geometric", "log_normal", "cauchy", "positive")


def _complex(value) -> bool:
    return isinstance(value, complex) or (isinstance(value, Shape) and value.is_complex)


def _product(a, b) -> int:
    """Real operations of ``a * b``: 6 for two complex numbers, 2 for a real and a complex, 1."""
    return 6 if _complex(a) and _complex(b) else 2 if _complex(a) or _complex(b) else 1


def _complex_sum(a, b, alpha=1, *args, **kwargs) -> int:  # a + alpha b: the real parts added, the imaginary too
    return (2 if _complex(a) and _complex(b) else 1) + (_product(alpha, b) if alpha != 1 else 0)


def _complex_quotient(a, b=None, *args, **kwargs) -> int:
    # (a + bi) / (c + di) = ((ac + bd) + (bc - ad) i) / (c^2 + d^2): 6 products, 3 sums, 2 quotients;
    # a complex by a real: 2 quotients; a real by a complex: c^2 + d^2 (3), a c, a d, 2 quotients
    return 11 if _complex(a) and _complex(b) else 2 if _complex(a) else 7


#: operator -> real operations per element where an operand is complex (a function of the call's
#: arguments); the others count as for real numbers
COMPLEX_ARITHMETIC: dict[str, Callable[..., int]] = {
    "add": _complex_sum, "sub": _complex_sum, "rsub": _complex_sum,
    "mul": lambda a, b, *args, **kwargs: _product(a, b),
    "div": _complex_quotient, "true_divide": _complex_quotient,
    "neg": _constant(2),                            # both parts
    "reciprocal": _constant(5),                     # (a - bi) / (a^2 + b^2)
    "abs": _constant(4),                            # sqrt(a^2 + b^2)
    "sgn": _constant(6),                            # z / |z|
}


def _formula(name: str, per_element: Callable[..., int]) -> Callable:
    on_complex = COMPLEX_ARITHMETIC.get(name)

    def formula(*args, out_shape=None, module=None, **kwargs):
        out = out_shape[0] if isinstance(out_shape, tuple) and out_shape and isinstance(out_shape[0], tuple) \
            else out_shape
        elements = numel(out)
        first = next((a for a in args if isinstance(a, tuple)), out)
        rule = on_complex if on_complex is not None and any(map(_complex, args)) else per_element
        return counts(rule(*args, **kwargs) * elements, **peers.activation(name, module, elements, numel(first),
                                                                            args))

    formula.__name__ = name
    formula.__doc__ = f"``aten::{name}``: its operations per element times the output's elements."
    return formula


for _name, _per_element in PER_ELEMENT.items():
    register_formula(f"aten::{_name}", f"aten::{_name}_")(_formula(_name, _per_element))
for _name in SELECTIONS:
    register_formula(f"aten::{_name}", f"aten::{_name}_", kind=DATA_MOVEMENT)(counts)
