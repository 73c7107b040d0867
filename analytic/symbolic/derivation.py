"""The derivation: from the definition of a tap to every count, with SymPy doing the sums.

Each :class:`Step` defines one named quantity from the base symbols and the quantities before it.
Where a quantity is a count, ``origin`` holds the unevaluated ``Sum`` that defines it and
``definition`` is what ``origin.doit()`` returned — SymPy's result, not a typed-in formula.
:func:`expand` substitutes the steps into each other to give expressions in torch's keywords only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sympy import Expr, Sum, Symbol

from . import symbols as sy
from .functions import ExactQuotient, IntGcd, LatticeCount, PositivePart

__all__ = ["Step", "steps", "step", "expand", "module_total", "PER_FILTER"]

n, k, s, p, o, d = sy.FILTER_SYMBOLS
N, C_in, C_out, g_, b = sy.batch, sy.in_channels, sy.out_channels, sy.groups, sy.bias


@dataclass(frozen=True)
class Step:
    """One named quantity of the derivation."""

    key: str  #: name used by the API (``"additions_per_filter"``, ``"psi"``, ...)
    symbol: Symbol  #: the symbol standing for it in later steps
    latex_name: str  #: how that symbol prints (``A``, ``\psi``, ...)
    definition: Expr  #: in base symbols and earlier steps' symbols
    origin: Expr | None  #: the unevaluated sum the definition was derived from, if any
    text: str  #: one sentence for the documents


def _q(name: str, latex_name: str, **assumptions) -> Symbol:
    """An integer symbol for an intermediate quantity, printing as ``latex_name`` in LaTeX."""
    return sy.named(name, latex_name, **assumptions)


# symbols standing for the intermediate quantities (named so they never clash with keywords)
F, L_out = _q("F", "F", positive=True), _q("L_out", r"L_{\mathrm{out}}")
taps_all, q, T = _q("taps_all", r"T_{\mathrm{all}}"), _q("q", "q"), _q("T", "T")
s1, d1, ell = _q("s_1", "s'", positive=True), _q("d_1", "d'", positive=True), _q("ell", r"\ell", positive=True)
pairs, E, A, Z = _q("pairs", "P"), _q("E", "E"), _q("A", "A"), _q("Z", "Z")
psi, lam, gam = _q("psi", r"\psi"), _q("lambda_", r"\lambda"), _q("gamma_", r"\gamma")
per_group = _q("per_group", r"C_{\mathrm{g}}", positive=True)


def G(x: Expr) -> LatticeCount:
    """Taps of the whole (n x k) grid below uncropped position x."""
    return LatticeCount(x, n, k, s, d)


def G1(x: Expr) -> LatticeCount:
    """Collisions below x: the grid of chain pairs, (n - d') x (k - s'), same stride and dilation."""
    return LatticeCount(x, n - d1, k - s1, s, d)


@cache
def steps() -> tuple[Step, ...]:
    """All steps, in order.  Built once (cached); takes well under a second."""
    i = Symbol("i", integer=True, nonnegative=True)
    m = Symbol("m", integer=True, nonnegative=True)
    j = Symbol("j", integer=True, positive=True)
    c = Symbol("c", integer=True, positive=True)
    r = Symbol("r", integer=True, positive=True)
    out: list[Step] = []

    def add(key, symbol, definition, text, origin=None):
        out.append(Step(key, symbol, sy.latex_name(symbol), definition, origin, text))

    add("uncropped_length", F, (n - 1) * s + (k - 1) * d + 1,
        "Tap $(i, m)$ lands at uncropped position $t = i s + m d$; the last one, $(n-1, k-1)$, "
        "at $(n-1) s + (k-1) d$, so the uncropped output has $F$ positions.")
    add("output_length", L_out, F - 2 * p + o,
        "`padding` crops $p$ positions at each end and `output_padding` appends "
        r"$p_{\mathrm{out}}$ positions.")
    every_tap = Sum(1, (m, 0, k - 1), (i, 0, n - 1))
    add("taps_all", taps_all, every_tap.doit(), "Every input meets every tap: $n k$ taps in all.",
        origin=every_tap)
    add("right_crop", q, PositivePart(p - o),
        r"On the right, `output_padding` gives back positions first: $q = (p - p_{\mathrm{out}})^+$ "
        "positions are cropped.")
    add("taps_kept", T, taps_all - G(p) - G(q),
        r"The $G(p)$ taps below $p$ are cropped on the left; by the symmetry $t \mapsto F-1-t$, "
        r"$(i, m) \mapsto (n-1-i, k-1-m)$, the taps cropped on the right number $G(q)$.")
    gcd = IntGcd(s, d)
    add("stride_prime", s1, ExactQuotient(s, gcd), r"$s' = s / \gcd(s, d)$.")
    add("dilation_prime", d1, ExactQuotient(d, gcd), r"$d' = d / \gcd(s, d)$.")
    add("lcm", ell, s * d1, r"$\ell = \operatorname{lcm}(s, d) = s d'$.")
    chain_pairs = Sum(1, (m, 0, PositivePart(k - s1) - 1), (i, 0, PositivePart(n - d1) - 1))
    add("collisions", pairs, chain_pairs.doit(),
        r"Taps $(i + d', m)$ and $(i, m + s')$ land on the same position, $(i s + m d) + \ell$: "
        r"each position's taps form a chain, and a chain of $c$ taps has $c - 1$ consecutive pairs, "
        r"one per point $(i, m)$ of the $(n - d') \times (k - s')$ grid.", origin=chain_pairs)
    add("exact_additions_per_filter", E, pairs - G1(p - ell) - G1(q - ell),
        r"A pair at position $(i s + m d) + \ell$ is cropped with its chain: on the left when "
        r"$i s + m d < p - \ell$, on the right (by symmetry) when $i s + m d < q - \ell$. "
        r"$G'$ is $G$ over the pairs' grid.")
    add("additions_per_filter", A, T - L_out,
        "moduleprofiler's all-ones count $\\sum_j (y_j - 1)$: every kept tap adds one, every output "
        "position subtracts one.")
    add("covered_positions", Z, T - E, "Each covered position holds one chain: $Z = T - E$.")
    # the module (batch N, channels C_in -> C_out in g groups, bias b)
    add("per_group", per_group, ExactQuotient(C_in, g_),
        r"Each output channel sums the $C_{\mathrm{in}} / g$ input channels of its group.")
    add("psi", psi, ExactQuotient(C_in * C_out, g_), r"moduleprofiler's number of filters $\psi$.")
    add("lambda", lam, L_out * k + A, r"moduleprofiler's operations per filter $\lambda$.")
    add("gamma", gam, C_out * L_out * (per_group - 1 + b),
        r"moduleprofiler's filter aggregation $\gamma$, with the bias when $b = 1$.")
    per_sample = Sum(psi * lam + gam, (j, 1, N))
    add("moduleprofiler", _q("O_mp", r"O_{\mathrm{mp}}"), per_sample.doit(),
        r"moduleprofiler's total, $N (\psi \lambda + \gamma)$.", origin=per_sample)
    products = Sum(T, (r, 1, per_group), (c, 1, C_out), (j, 1, N))
    add("exact_multiplications", _q("M", "M"), products.doit(),
        "Every kept tap of every filter is one multiplication.", origin=products)
    sums = Sum(per_group * T - (1 - b) * Z, (c, 1, C_out), (j, 1, N))
    add("exact_additions", _q("S_add", "S"), sums.doit(),
        "A covered position of an output channel sums its products with one addition fewer "
        "than products, plus one for the bias; an uncovered one gets the bias by assignment.",
        origin=sums)
    M, S_add = out[-2].symbol, out[-1].symbol
    add("exact", _q("O_exact", r"O_{\mathrm{exact}}"), M + S_add,
        "Exact multiplications plus exact additions.")
    macs_sum = Sum(k * n, (r, 1, per_group), (c, 1, C_out), (j, 1, N))
    add("macs", _q("O_macs", r"O_{\mathrm{macs}}"), macs_sum.doit(),
        "fvcore: every input times every tap, cropping ignored.", origin=macs_sum)
    macs = out[-1].symbol
    add("flops", _q("O_flops", r"O_{\mathrm{flops}}"), 2 * macs, "`torch.utils.flop_counter`: twice the macs.")
    add("ptflops", _q("O_pt", r"O_{\mathrm{ptflops}}"), macs + b * N * C_out * L_out,
        "ptflops: macs plus one bias addition per output element.")
    thop_sum = Sum(k * L_out, (r, 1, per_group), (c, 1, C_out), (j, 1, N))
    add("thop", _q("O_thop", r"O_{\mathrm{thop}}"), thop_sum.doit(),
        "thop 0.1.1: $k$ products per output position.", origin=thop_sum)
    add("torchinfo", _q("O_ti", r"O_{\mathrm{torchinfo}}"),
        out[-1].symbol + b * N * C_out * L_out, "torchinfo 1.8: thop plus the bias additions.")
    add("deepspeed", _q("O_ds", r"O_{\mathrm{deepspeed}}"), 2 * macs + b * N * C_out * L_out,
        "DeepSpeed's flops profiler: twice the macs plus one bias addition per output element.")
    return tuple(out)


def step(key: str) -> Step:
    """The step named ``key``."""
    for candidate in steps():
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def expand(expr: Expr, keep: tuple[str, ...] = ()) -> Expr:
    """Substitute every intermediate quantity by its definition, last step first, except the
    steps named in ``keep``."""
    for candidate in reversed(steps()):
        if candidate.key not in keep and candidate.symbol in expr.free_symbols:
            expr = expr.xreplace({candidate.symbol: candidate.definition})
    return expr


#: the per-filter quantities the module totals are written in
PER_FILTER = ("output_length", "taps_kept", "additions_per_filter", "covered_positions")


def module_total(convention: str, output_length: Expr, taps_kept: Expr, covered_positions: Expr,
                 kernel_size: Expr, length: Expr) -> Expr:
    """A module total written in the given per-filter quantities (and kernel size and input
    size): the 1-d total with ``L_out``, ``T``, ``Z``, ``A = T - L_out``, ``k`` and ``L_in``
    replaced — for n-d layers, by the products over dimensions."""
    return expand(step(convention).symbol, keep=PER_FILTER).xreplace({
        L_out: output_length, T: taps_kept, Z: covered_positions, A: taps_kept - output_length,
        sy.kernel_size: kernel_size, sy.length: length,
    })
