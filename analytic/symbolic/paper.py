"""The derivation as LaTeX for a paper: the named quantities as an ``align`` block, the lattice
count's definition, and a standalone document."""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy import Symbol

from . import symbols as sy
from .derivation import Step, steps
from .export.latex import latex
from .expressions import additions_per_filter, exact_additions_per_filter
from .functions import LatticeCount

__all__ = ["align_block", "lattice_definition", "standalone_document"]


def _step_line(st: Step) -> str:
    return rf"{st.latex_name} &= {latex(st.definition)}"


def align_block(keys: Sequence[str] | None = None, starred: bool = False) -> str:
    r"""An ``align`` environment with one line per named quantity of the derivation
    (``F``, ``L_out``, ``T``, ``s'``, ``d'``, ``\ell``, ``P``, ``E``, ``A``, ``Z``, ``\psi``,
    ``\lambda``, ``\gamma`` and each convention's total), or only those named in ``keys``."""
    chosen = [st for st in steps() if keys is None or st.key in keys]
    env = "align*" if starred else "align"
    body = " \\\\\n".join(_step_line(st) for st in chosen)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"


def lattice_definition() -> str:
    """LaTeX of the lattice count's definition: ``G(x) = `` its floor sum."""
    x = Symbol("x", integer=True)
    g = LatticeCount(x, sy.length, sy.kernel_size, sy.stride, sy.dilation)
    return rf"{latex(g)} = {latex(g.rewrite(sympy.Sum))}"


def standalone_document(title: str = "Operation counts of a transposed 1-d convolution") -> str:
    """A complete LaTeX document (``article`` + ``amsmath``): the lattice count, the named
    quantities, and the expanded additions formulas."""
    return "\n".join([
        r"\documentclass{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        rf"\title{{{title}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"\section*{Lattice count}",
        r"Tap $(i, m)$ lands at uncropped position $i s + m d$. The number of taps below $x$ is",
        r"\begin{equation*}",
        lattice_definition(),
        r"\end{equation*}",
        r"evaluated exactly by the floor-sum algorithm.",
        r"\section*{Named quantities}",
        align_block(),
        r"\section*{Expanded}",
        r"\begin{align*}",
        rf"A &= {latex(additions_per_filter())} \\",
        rf"E &= {latex(exact_additions_per_filter())}",
        r"\end{align*}",
        r"\end{document}",
        "",
    ])
