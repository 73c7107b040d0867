"""The bad-input contract, fuzzed: whatever a careless or hostile user passes, the answer is a
correct result, or ``ValueError``/``TypeError``/``OverflowError`` naming the parameter (API), or
exit status 2 with one line and no traceback (command line), within a time bound.

Strategies draw text, floats, bools, ``None``, huge and negative ints, NumPy scalars and arrays of
every dtype, nested sequences, malformed JSON documents and layer files.
"""

import contextlib
import io
import json
import time

import numpy as np
from hypothesis import event, example, given
from hypothesis import strategies as st

import analytic
from analytic import symbolic
from analytic.cli import main
from tests.profiles import examples

SECONDS = 10  # a bound on one answer, far above any valid count (microseconds)
ERRORS = (ValueError, TypeError, OverflowError)
LAYER_KEYWORDS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
                  "bias", "dilation", "padding_mode", "device", "dtype")
#: every name an error message may name: the parameters, the input shape and its parts
NAMES = (*LAYER_KEYWORDS, "length", "batch", "input_shape", "convention", "spatial size", "on_invalid",
         "dims", "keyword", "expr", "text", "quantity", "row")

ints = st.one_of(st.integers(-3, 20), st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 2**31, 2**63, -(2**63)]))
numpy_scalars = st.builds(lambda v, t: np.array(v % 200).astype(t)[()], st.integers(-100, 100),
                          st.sampled_from(["int8", "uint8", "int32", "int64", "uint64", "float32", "float64",
                                           "bool", "complex64"]))
scalars = st.one_of(ints, st.floats(allow_nan=True), st.booleans(), st.none(), st.text(max_size=8), numpy_scalars)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.tuples(scalars), st.tuples(ints, ints),
                   st.builds(np.array, st.lists(ints.filter(lambda v: abs(v) < 2**62), max_size=3)))


def _answers(call):
    """Run ``call``; return its result or the exception, asserting the contract and the time bound."""
    start = time.perf_counter()
    try:
        result = call()
    except ERRORS as error:
        result = error
    assert time.perf_counter() - start < SECONDS
    if isinstance(result, Exception):
        message = str(result)
        assert message and "\n" not in message.strip(), message
        assert any(name in message for name in NAMES), message
    return result


@examples(500)
@given(dims=st.sampled_from([1, 2, 3]),
       keywords=st.dictionaries(st.sampled_from(LAYER_KEYWORDS), st.one_of(st.integers(1, 3), values), max_size=4),
       shape=st.one_of(st.lists(st.integers(1, 4), min_size=2, max_size=5).map(tuple), values),
       convention=st.one_of(st.sampled_from(analytic.CONVENTIONS), scalars))
@example(dims=1, keywords={"in_channels": 2**32, "out_channels": 2**33, "groups": 2**32, "kernel_size": 3},
         shape=(1, 2**32, 5), convention="moduleprofiler")
def test_layers_answer_every_input(dims, keywords, shape, convention):
    cls = {1: analytic.ConvTranspose1d, 2: analytic.ConvTranspose2d, 3: analytic.ConvTranspose3d}[dims]
    keywords = {"in_channels": 2, "out_channels": 2, "kernel_size": 3} | keywords
    layer = _answers(lambda: cls(**keywords))
    if isinstance(layer, Exception):
        event("constructor refused")
        return
    result = _answers(lambda: layer.ops(shape, convention))
    event("counted" if not isinstance(result, Exception) else "ops refused")
    if not isinstance(result, Exception):
        assert type(result) is int


@examples(500)
@given(args=st.lists(values, min_size=2, max_size=6))
def test_filter_counts_answer_every_input(args):
    for function in (analytic.additions_per_filter, analytic.exact_additions_per_filter, analytic.output_length):
        result = _answers(lambda function=function: function(*args))
        if not isinstance(result, Exception):
            assert type(result) is int


arrays = st.one_of(
    scalars,
    st.builds(lambda v, t: np.array(v, dtype=object).astype(t), st.lists(st.integers(0, 50), min_size=1, max_size=4),
              st.sampled_from(["int8", "int64", "uint64", "float64", "bool", "object", "U3"])),
    st.builds(lambda v: np.array(v, dtype=object), st.lists(scalars, min_size=1, max_size=3)),
)


@examples(300)
@given(keywords=st.dictionaries(st.sampled_from(("in_channels", "out_channels", "kernel_size", "length", "stride",
                                                 "padding", "output_padding", "groups", "bias", "dilation",
                                                 "batch")), arrays))
def test_sweep_answers_every_input(keywords):
    keywords = {"in_channels": 1, "out_channels": 1, "kernel_size": 1, "length": 1} | keywords
    _answers(lambda: analytic.sweep(**keywords, on_invalid="mask"))


@examples(200)
@given(keywords=st.dictionaries(st.sampled_from(["length", "kernel_size", "stride", "padding", "output_padding",
                                                 "dilation", "in_channels", "out_channels", "groups", "batch",
                                                 "bias", "length_0", "nonsense"]), values, max_size=5))
def test_evaluate_answers_every_input(keywords):
    result = _answers(lambda: symbolic.evaluate(symbolic.ops("exact"), **keywords))
    if not isinstance(result, Exception) and all(k in keywords for k in ("length", "kernel_size")):
        assert result.is_Integer or result.free_symbols


json_trees = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
              st.builds(lambda v: {"int": v}, st.one_of(st.text(max_size=6), st.integers().map(str))),
              st.builds(lambda v: {"symbol": v}, st.sampled_from(["length", "os", "__import__"]))),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.builds(lambda op, args: {"op": op, "args": args},
                  st.sampled_from(["Add", "Mul", "Pow", "Max", "LatticeCount", "ExactQuotient", "eval"]),
                  st.lists(children, max_size=3))),
    max_leaves=20)


@examples(300)
@given(tree=json_trees, wrap=st.booleans())
@example(tree="\n0", wrap=True)  # a node's text with a line break: the message stays on one line
def test_from_json_answers_every_document(tree, wrap):
    text = json.dumps({"format": "tapcount-expr", "version": 1, "expr": tree} if wrap else tree)
    _answers(lambda: symbolic.from_json(text))


# --- the command line -------------------------------------------------------------------------

option_values = st.one_of(st.integers(0, 6).map(str), st.integers(-5, 40).map(str),
                          st.integers(-(2**70), 2**70).map(str),
                          st.sampled_from(["", "x", "1.5", "1:3", "3:1", "-1:2", "nan", "1e3", "0x10", "1,80,L",
                                           "1,2,L", "L=7", "L", "\u00e9", "1:100000000000"]),
                          st.text(max_size=6))
COMMON = ["--kernel-size", "--stride", "--padding", "--output-padding", "--dilation", "--length"]
OPTIONS = {
    "count": [*COMMON, "--in-channels", "--out-channels", "--groups", "--batch", "--format", "--layers"],
    "derive": [*COMMON, "--in-channels", "--out-channels", "--groups", "--batch", "--quantity", "--convention",
               "--format"],
    "verify": [*COMMON, "--seed"],
    "figure": [*COMMON, "--out"],
    "profile": ["--input-shape", "--format", "--convention", "--form", "--hint"],
}
FLAGS = {"count": ["--no-bias", "--bias"], "derive": ["--no-bias", "--bias"], "verify": ["--no-progress"],
         "figure": [], "profile": []}


@st.composite
def command_lines(draw, tmp):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [command]
    if command == "profile":
        argv.append(draw(st.sampled_from(["", "x", "missing.py:f", f"{tmp}/layers.json:f", f"{tmp}/model.py:build",
                                          f"{tmp}/model.py:nothing", f"{tmp}/model.py:raises"])))
    for option in draw(st.lists(st.sampled_from(OPTIONS[command] + FLAGS[command]), max_size=6, unique=True)):
        argv.append(option)
        if option in FLAGS[command]:
            continue
        if option == "--out":
            argv.append(draw(st.sampled_from([f"{tmp}/f.tex", f"{tmp}/f.svg", f"{tmp}/f.pdf", "/nonexistent/x.tex"])))
        elif option == "--layers":
            argv.append(draw(st.sampled_from([f"{tmp}/layers.json", f"{tmp}/bad.json", f"{tmp}/bad.toml", tmp,
                                              "/dev/zero", "/nonexistent.json", f"{tmp}/model.py"])))
        else:
            argv.append(draw(option_values))
    if command == "verify":  # a few torch runs at most: the fuzz is about the answers, not the checks
        argv += ["--samples", str(draw(st.integers(-1, 3))), "--length", draw(st.sampled_from(["1:5", "0:3", "9"]))]
    return argv


def _files(tmp):
    (tmp / "layers.json").write_text(json.dumps([{"kernel_size": 3, "length": 4, "name": "a|b\\c"}]))
    (tmp / "bad.json").write_text('{"layers": [{"kernel_size": "3", "length": [4], "stride": 1e400}]}')
    (tmp / "bad.toml").write_text("[[layers]]\nkernel_size = 3\nlength = \n")
    (tmp / "model.py").write_text("import torch\n\ndef build():\n    return torch.nn.ConvTranspose1d(2, 2, 4, 2)\n\n"
                                  "def raises():\n    raise KeyError('x')\n")


@examples(300)
@given(data=st.data())
def test_command_line_answers_every_input(tmp_path_factory, data):
    tmp = tmp_path_factory.getbasetemp() / "fuzz"
    if not tmp.exists():
        tmp.mkdir()
        _files(tmp)
    argv = data.draw(command_lines(str(tmp)))
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as stop:  # argparse
            status = stop.code
    assert time.perf_counter() - start < SECONDS, argv
    stderr = err.getvalue()
    event(f"{argv[0]} exit {status}")
    assert status in (0, 2), (argv, status, stderr)
    assert "Traceback" not in stderr, stderr
    if status == 2:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("tapcount"), (argv, stderr)
        assert len(lines) == 1 or lines[0].startswith("usage:"), (argv, stderr)  # argparse prints its usage first
    else:
        assert stderr == "" or argv[0] == "verify", (argv, stderr)  # verify's progress bar
