"""Fused recurrent kernels: the CPU's LSTM layer (``aten::mkldnn_rnn_layer``), counted as the very
operators torch runs for one step on any other device (on ``meta`` the layer runs step by step),
through their own formulas: the two gate products (``addmm`` with biases, ``mm`` without), their
sum, the gates' sigmoids and tanh, the cell update ``c = f c + i g`` and the output
``h = o tanh(c)``.  One model, one count, whatever kernel runs.

>>> from analytic.formulas import FORMULAS
>>> FORMULAS["aten::mkldnn_rnn_layer"]((5, 2, 4), (12, 4), (12, 3), (12,), (12,), (2, 3), (2, 3), False, (),
...                                    2, 3, 1, True, False, True, True, out_shape=((5, 2, 3),) * 4)["flops"]
1680

(5 steps of two gate products, ``2 * 2 * 12 * (4 + 3)`` flops each step.)
"""

from __future__ import annotations

from .registry import FORMULAS, Shape, register_formula

__all__ = ["lstm_layer"]

#: torch's recurrent modes (cuDNN's numbering)
_LSTM = 2


def _step(batch: object, inputs: object, hidden: object, has_biases: bool, module: str | None) -> list:
    """The operator calls of one LSTM step, as ``(operator, shapes, output shape)``."""
    gates = Shape((batch, 4 * hidden))
    state = Shape((batch, hidden))
    if has_biases:
        products = [("aten::addmm", (Shape((4 * hidden,)), Shape((batch, inputs)), Shape((inputs, 4 * hidden)))),
                    ("aten::addmm", (Shape((4 * hidden,)), state, Shape((hidden, 4 * hidden))))]
    else:
        products = [("aten::mm", (state, Shape((hidden, 4 * hidden)))),
                    ("aten::mm", (Shape((batch, inputs)), Shape((inputs, 4 * hidden))))]
    calls = [(op, shapes, gates) for op, shapes in products]
    calls.append(("aten::add_", (gates, gates), gates))
    calls += [("aten::sigmoid_", (state,), state)] * 2 + [("aten::tanh_", (state,), state),
                                                          ("aten::sigmoid_", (state,), state)]
    calls += [("aten::mul", (state, state), state)] * 2 + [("aten::add_", (state, state), state),
                                                           ("aten::tanh", (state,), state),
                                                           ("aten::mul", (state, state), state)]
    return calls


@register_formula("aten::mkldnn_rnn_layer")
def lstm_layer(x, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse, batch_sizes, mode, hidden_size, num_layers, has_biases,
               bidirectional, batch_first, train, *, out_shape=None, module=None):
    """One direction of one LSTM layer over ``x`` ``(steps, batch, inputs)``: its steps' operators."""
    if mode != _LSTM:
        raise ValueError(f"aten::mkldnn_rnn_layer in mode {mode}: tapcount counts its LSTM mode ({_LSTM}) only")
    steps, batch, inputs = x
    total: dict = {}
    for op, shapes, out in _step(batch, inputs, hidden_size, has_biases, module):
        for convention, value in FORMULAS[op](*shapes, out_shape=out, module=module).items():
            total[convention] = total.get(convention, 0) + steps * value
    return total
