"""What several test modules share: running the peer tools as their users run them, torch's
counter on a real forward, compiling LaTeX.  (No test module imports another.)"""

import contextlib
import copy
import io
import os
import re
import subprocess
import warnings
from types import SimpleNamespace

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from analytic.cli import main
from tests.tools import require


def quietly(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with its prints and warnings swallowed (the tools print)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _inputs(shape_or_inputs):
    if isinstance(shape_or_inputs, torch.Tensor):
        return (shape_or_inputs,)
    if isinstance(shape_or_inputs, tuple) and all(isinstance(v, int) for v in shape_or_inputs):
        return (torch.ones(shape_or_inputs),)
    return tuple(shape_or_inputs)


def torch_flops(module, shape_or_inputs) -> int:
    """``FlopCounterMode``'s total on a real forward (no gradients)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(*_inputs(shape_or_inputs))
    return counter.get_total_flops()


def fvcore_total(module, shape_or_inputs) -> int:
    fvcore_nn = pytest.importorskip("fvcore.nn")

    def run():
        analysis = fvcore_nn.FlopCountAnalysis(module, _inputs(shape_or_inputs))
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        return analysis.total()

    return quietly(run)


def ptflops_total(module, shape, backend="pytorch") -> int:
    """ptflops' ``get_model_complexity_info`` on an input of ``shape`` (its batch included)."""
    ptflops = pytest.importorskip("ptflops")
    macs, _ = quietly(ptflops.get_model_complexity_info, module, tuple(shape[1:]), as_strings=False,
                      print_per_layer_stat=False, input_constructor=lambda _: torch.ones(shape), backend=backend)
    return macs


def thop_total(module, shape_or_inputs) -> int:
    thop = pytest.importorskip("thop")
    macs, _ = quietly(thop.profile, copy.deepcopy(module), inputs=_inputs(shape_or_inputs), verbose=False)
    assert float(macs).is_integer()
    return int(macs)


def torchinfo_total(module, shape) -> int:
    torchinfo = pytest.importorskip("torchinfo")
    return quietly(torchinfo.summary, module, input_size=shape, verbose=0).total_mult_adds


def moduleprofiler_total(module, shape_or_inputs) -> int:
    """moduleprofiler's ``estimate_ops``, summed over the modules it counts."""
    moduleprofiler = pytest.importorskip("moduleprofiler")
    inputs = _inputs(shape_or_inputs)
    report = quietly(moduleprofiler.ModuleProfiler().estimate_ops, module, inputs[0] if len(inputs) == 1 else inputs)
    return sum(int(entry["ops"]) for entry in report.values() if entry["ops"] is not None)


def deepspeed_total(module, shape_or_inputs) -> int:
    """The FLOPs DeepSpeed's ``get_model_profile`` reports (its flops profiler, on the CPU)."""
    profiler = pytest.importorskip("deepspeed.profiling.flops_profiler")
    inputs = _inputs(shape_or_inputs)
    flops, _, _ = quietly(profiler.get_model_profile, module, args=list(inputs), print_profile=False,
                          detailed=False, as_string=False, warm_up=0)
    return int(flops)


def tapcount(*args, check=True, cwd=None):
    """Run ``tapcount ARGS`` in this process; return its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as stop:  # argparse (--help, usage errors)
                status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        os.chdir(previous)
    result = SimpleNamespace(returncode=status, stdout=out.getvalue(), stderr=err.getvalue())
    if check:
        assert result.returncode == 0, result.stderr
    return result


def pdflatex(tmp_path, name: str, source: str) -> str:
    """Compile ``source`` with pdflatex and return its log: no error, no undefined control sequence,
    a PDF (skipped, or failed under TAPCOUNT_REQUIRE_TOOLS=1, when pdflatex is missing)."""
    exe = require("pdflatex")
    (tmp_path / f"{name}.tex").write_text(source)
    result = subprocess.run(
        [exe, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert result.returncode == 0, log[-3000:]
    problems = re.findall(r"^!.*$|Undefined control sequence|LaTeX Error.*$", log, flags=re.M)
    assert not problems, problems
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000
    return log
