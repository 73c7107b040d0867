"""Work measured by tracing, not timing: lines executed, and iterations of the floor-sum loop."""

import gc
import inspect
import sys
from pathlib import Path

import analytic
from analytic.core import lattice

PACKAGE = str(Path(analytic.__file__).parent)
# the first line inside floor_sum's loop: one "line" event per iteration of Euclid's reduction
_LOOP_LINE = next(lineno for lineno, text in enumerate(inspect.getsourcelines(lattice.floor_sum)[0],
                                                       start=lattice.floor_sum.__code__.co_firstlineno)
                  if text.strip() == "while True:") + 1


def work(function, *args, **kwargs):
    """``(lines, iterations)``: Python lines of the package executed by ``function(*args, **kwargs)``
    and iterations of the floor-sum loop among them (after one untraced warm-up call, so that
    one-time work such as ABC caches is not counted)."""
    function(*args, **kwargs)
    lines = iterations = 0
    code = lattice.floor_sum.__code__

    def tracer(frame, event, arg):
        nonlocal lines, iterations
        if event == "line" and frame.f_code.co_filename.startswith(PACKAGE):
            lines += 1
            iterations += frame.f_code is code and frame.f_lineno == _LOOP_LINE
        return tracer

    gc.disable()  # a collection would run other code (e.g. gc callbacks) inside the trace
    sys.settrace(tracer)
    try:
        function(*args, **kwargs)
    finally:
        sys.settrace(None)
        gc.enable()
    return lines, iterations
