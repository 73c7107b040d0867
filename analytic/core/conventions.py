"""The conventions tapcount counts in: one table, read by every layer, the profile, the command
line and the documentation.

Each convention is what one tool (or moduleprofiler's documented model, or tapcount's exact
structural count) reports for the same call, so a number in the literature can be reproduced and
explained.  The formulas of each convention live beside the counts they apply to
(:mod:`analytic.core.transposed`, :mod:`analytic.core.forward`, :mod:`analytic.core.matmul`, and
the operator formulas of :mod:`analytic.formulas`).

>>> CONVENTIONS[:3]
('moduleprofiler', 'exact', 'macs')
>>> check_convention("flops")
'flops'
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BACKWARD_CONVENTIONS", "CONVENTIONS", "Convention", "TABLE", "check_convention"]


class Convention(NamedTuple):
    """One convention: its name (the key of every count), who reports it, and what it counts."""

    name: str
    reported_by: str
    counts: str
    #: whether the tool counts a backward pass (the others count its rows as 0: they see none)
    backward: bool = False


#: every convention, moduleprofiler's model first
TABLE: tuple[Convention, ...] = (
    Convention("moduleprofiler", "moduleprofiler's documented model",
               "the formulas of moduleprofiler's documentation, computed exactly"),
    Convention("exact", "tapcount", "the scalar operations the operator's defining formula performs: never a"
               " structural zero, never a cropped tap", backward=True),
    Convention("macs", "fvcore", "multiply-accumulates, as fvcore's default handles count them"),
    Convention("flops", "torch.utils.flop_counter", "torch's FlopCounterMode: twice the multiply-accumulates of"
               " matrix products, convolutions and attention, nothing else", backward=True),
    Convention("ptflops", "ptflops", "what ptflops reports (its aten backend: the whole call)"),
    Convention("thop", "thop 0.1.1", "what thop's module hooks report"),
    Convention("torchinfo", "torchinfo 1.8", "torchinfo's total_mult_adds: parameterized layers only"),
    Convention("deepspeed", "DeepSpeed's flops profiler", "the FLOPs DeepSpeed's get_model_profile reports: the"
               " functions of torch.nn.functional and the matrix products it patches"),
)

#: the names of :data:`TABLE`, in order
CONVENTIONS: tuple[str, ...] = tuple(c.name for c in TABLE)

#: the conventions whose tool counts a backward pass
BACKWARD_CONVENTIONS: frozenset[str] = frozenset(c.name for c in TABLE if c.backward)


def check_convention(convention: object) -> str:
    """Return ``convention`` if it is one of :data:`CONVENTIONS`, else raise ``ValueError``."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention ({convention!r}) must be one of {', '.join(CONVENTIONS)}")
    return convention  # type: ignore[return-value]
