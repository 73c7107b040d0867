"""Bad input, second round: the profile, its formulas and their exports, each class with drawn
inputs.  An answer is the right number, or an error naming the parameter and the rule, within a
time bound; never a wrong number, a raw torch or Python error, or a run without end."""

import json
import keyword
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

import analytic
from analytic import symbolic
from analytic.symbolic import symbols as sy
from analytic.symbolic.export.common import PYTHON_NAMES
from tests.helpers import pdflatex, torch_flops
from tests.profiles import examples
from tests.tools import require

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 10  # a bound on one answer

# -- 1, 2: a profile only for what torch runs; every rule that does not depend on a size's value ----

LAYERS = {1: (torch.nn.Conv1d, torch.nn.ConvTranspose1d), 2: (torch.nn.Conv2d, torch.nn.ConvTranspose2d)}


@st.composite
def layers_and_inputs(draw):
    """A convolution of random channels and groups, and an input of random channels (right or not)."""
    dims = draw(st.sampled_from([1, 2]))
    kind = draw(st.sampled_from(LAYERS[dims]))
    groups = draw(st.integers(1, 3))
    in_channels, out_channels = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    layer = kind(in_channels, out_channels, draw(st.integers(1, 3)), groups=groups)
    channels = draw(st.one_of(st.just(in_channels), st.integers(1, 7)))
    return layer, (1, channels, *[draw(st.integers(3, 6)) for _ in range(dims)])


@given(layers_and_inputs())
@examples(40, deadline=None)
def test_a_profile_counts_exactly_the_forwards_torch_runs(drawn):
    layer, shape = drawn
    try:
        with torch.no_grad():
            layer(torch.zeros(shape))
        runs = True
    except RuntimeError:
        runs = False
    if runs:
        assert analytic.profile(layer, shape).total["flops"] == torch_flops(layer, shape)
    else:
        with pytest.raises(RuntimeError, match="channels"):
            analytic.profile(layer, shape)


@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 4))
@examples(40)
def test_a_symbolic_length_keeps_every_rule_that_does_not_depend_on_it(in_channels, channels, kernel):
    layer = analytic.Conv1d(in_channels, 4, kernel)
    length = sympy.Symbol("L", integer=True, positive=True)
    if channels != in_channels:
        with pytest.raises(ValueError, match=f"has {channels} channels, the layer expects in_channels={in_channels}"):
            layer.ops((1, channels, length))
    else:  # the count of a symbolic length is the count at every length
        ops = layer.ops((1, channels, length), "exact")
        for value in (kernel, kernel + 3, 50):
            assert ops.xreplace({length: value}) == layer.ops((1, channels, value), "exact")


# -- 3: names the generated code uses itself ----------------------------------------------------------

RESERVED = ["tapcount_overflow", "tapcount_lattice_count", "tapcount_result", "INT64_MAX", "int64_t", "UINT8_C",
            "SIZE_MAX", "__x", "_Reserved", "math", "max", "ValueError", "check_keywords", "numpy", "bool", "true",
            "int", "result", "count", "count_overflow", "count_invalid", "np", "L"]
names = st.one_of(st.sampled_from(RESERVED), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))


@given(names)
@example("tapcount_overflow")  # read 0 at every size before it was refused
@example("result")  # the C function's own result
@example("count_overflow")  # the global the C function sets
@examples(30, deadline=None)
def test_a_size_of_any_name_exports_right_or_is_refused_by_name(name):
    require("cc")
    layer = torch.nn.Conv1d(1, 2, 3)
    try:
        formula = analytic.profile(layer, (1, 1, name))
    except ValueError as error:  # a Python keyword, or not an identifier
        assert (keyword.iskeyword(name) and "size name" in str(error)) or name in str(error)
        return
    expected = {v: analytic.profile(layer, (1, 1, v)).total["exact"] for v in (3, 10)}
    c_globals = name in ("count_overflow", "count_invalid")  # what the C function count() sets
    try:
        function = formula.to_c("exact")
    except ValueError as error:
        assert (repr(name) in str(error) and "reserved" in str(error)) or "keyword" in str(error), error
        assert c_globals or name in PYTHON_NAMES or name.startswith(("tapcount_", "__")) or re.fullmatch(
            r"_[A-Z]\w*", name) or name in ("int64_t", "INT64_MAX", "UINT8_C", "SIZE_MAX", "bool", "true"), error
        if not c_globals:
            with pytest.raises(ValueError, match=r"reserved|keyword"):
                formula.python_source("exact")
            return
        function = None
    namespace = {}
    exec(formula.python_source("exact"), namespace)  # the printed module, run
    for value, count in expected.items():
        assert function is None or function(**{name: value}) == count
        assert formula.to_python("exact")(**{name: value}) == count
        assert namespace["count"](**{name: value}) == count


# -- 4: every documented format with named sizes ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "csv", "json", "python", "c"])
def test_every_format_of_the_command_line_prints_a_formula(fmt):
    from tests.helpers import tapcount

    target = f"{ROOT / 'tests' / 'models.py'}:filterbank_decoder"
    out = tapcount("profile", target, "--input-shape", "1,512,T", "--format", fmt).stdout
    assert "T" in out
    if fmt == "json":
        assert json.loads(out)["sizes"] == ["T"]
    if fmt == "csv":
        assert out.splitlines()[0].startswith("layer,type,op,input_shape,output_shape")


# -- 5: LaTeX that compiles whatever the module names -------------------------------------------------

module_names = st.text(st.characters(codec="ascii", exclude_characters=".\x00"), min_size=1, max_size=12).filter(
    lambda n: n.isprintable())


@pytest.mark.slow
@given(st.lists(module_names, min_size=1, max_size=4, unique=True))
@example(["a^b", "x_1", "50%", "{c}", "\\d", "#", "$", "&", "~"])
@example(["__dict__", "a"])  # a name torch refuses, beside one it takes
@examples(8, deadline=None)
def test_latex_of_a_formula_compiles_whatever_the_module_names(tmp_path_factory, names):
    model = torch.nn.Sequential()
    for name in names:
        try:
            model.add_module(name, torch.nn.Conv1d(1, 1, 3, padding=1))
        except KeyError:  # a name torch refuses (an attribute of the module already, '__dict__')
            continue
    assume(len(model) > 0)
    latex = analytic.profile(model, (1, 1, "L")).to_latex_formulas("exact")
    pdflatex(tmp_path_factory.mktemp("latex"), "names", "\\documentclass{article}\n\\usepackage{amsmath}\n"
             "\\begin{document}\n" + latex + "\n\\end{document}\n")


# -- 6: int64 exports, exact wherever the count fits -------------------------------------------------


@given(st.integers(1, 2**62 - 1))
@example(2**32)  # length**2 overflows, the count 2*length - 1 does not
@example(2**62 - 1)
@examples(100, deadline=None)
def test_int64_exports_are_exact_where_the_count_fits_and_refuse_only_where_it_does_not(length):
    L = sy.length
    expr = L**2 - (L - 1) ** 2  # = 2L - 1, through a square that leaves int64
    true = 2 * length - 1
    with np.errstate(all="ignore"):
        numpy_function = symbolic.to_numpy(expr, [L])
        if true < 2**63:
            assert numpy_function(np.array([length, 3]))[0] == true
        else:
            with pytest.raises(OverflowError, match="does not fit in int64"):
                numpy_function(np.array([length]))
    require("cc")
    c_function = symbolic.to_c(expr, [L])
    if true < 2**63:
        assert c_function(length) == true
    else:
        with pytest.raises(OverflowError):
            c_function(length)


# -- 7: documents read in bounded time and memory ----------------------------------------------------


def _document(expr: dict) -> str:
    return json.dumps({"format": "tapcount-expr", "version": 1, "expr": expr})


def _symbol(name):
    return {"symbol": name}


def _int(value):
    return {"int": str(value)}


def _nested_powers(depth):
    expr = _symbol("length")
    for _ in range(depth):
        expr = {"op": "Pow", "args": [expr, _int(64)]}
    return expr


BOUNDED = {
    "a maximum of 100 sizes": ({"op": "Max", "args": [{"op": "Add", "args": [_symbol("length"), _int(i)]}
                                                      for i in range(100)]}, "Max of 100 arguments"),
    "maxima nested into one of 64": ({"op": "Max", "args": [  # (j + 2) n - (j + 1) stride: none comparable
        {"op": "Max", "args": [{"op": "Add", "args": [{"op": "Mul", "args": [_int(j + 2), _symbol(n)]},
                                                      {"op": "Mul", "args": [_int(-j - 1), _symbol("stride")]}]}
                               for j in range(16)]}
        for n in ("length", "padding", "dilation", "kernel_size")]}, "nested ones included"),
    "1,666 powers that each pass the digit rule": ({"op": "Add", "args": [
        {"op": "Mul", "args": [_symbol("length"), {"op": "Pow", "args": [_int(10**5 + i), _int(64)]}]}
        for i in range(1666)]}, "digits in all"),
    "nested powers that merge into length**(64**5)": (_nested_powers(5), "degree at most 64"),
}


@pytest.mark.parametrize("name", BOUNDED)
def test_a_document_too_large_to_build_is_refused_quickly(name):
    expr, message = BOUNDED[name]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        symbolic.from_json(_document(expr))
    assert time.perf_counter() - start < SECONDS


def test_a_document_within_the_bounds_exports_and_evaluates():
    expr = symbolic.from_json(_document({"op": "Max", "args": [
        {"op": "Mul", "args": [_int(j + 1), _nested_powers(1)]} for j in range(32)]}))
    assert expr == 32 * sy.length**64
    assert symbolic.to_python(expr)(length=2) == 32 * 2**64


# -- 8: limits that stop a pass within seconds, and a progress bar on a terminal ---------------------


class Steps(torch.nn.Module):
    """A forward of ``steps`` small operators (a Python loop)."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def forward(self, x):
        for _ in range(self.steps):
            x = torch.relu(x + 1)
        return x


def test_a_formula_stops_at_its_limit_of_operator_calls():
    from analytic.profiling.symbolic import MAX_SYMBOLIC_CALLS

    with pytest.raises(RuntimeError, match=f"more than {MAX_SYMBOLIC_CALLS:,} operator calls"):
        analytic.profile(Steps(MAX_SYMBOLIC_CALLS), (1, "L"))


def test_a_long_profile_shows_its_progress_on_a_terminal(monkeypatch, capsys):
    import analytic.profiling.mode as mode

    monkeypatch.setattr(mode, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    profile = analytic.profile(Steps(3000), (2, 3))
    assert profile.total["exact"] == 3000 * (6 + 6)  # an addition and a relu per element, per step
    assert "operator calls" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    analytic.profile(Steps(3000), (2, 3))
    assert capsys.readouterr().err == ""


# -- 10: sizes beyond what torch stores, in the user's words -----------------------------------------


@given(st.integers(0, 80), st.sampled_from([None, torch.float16, torch.float64]))
@example(70, None)
@example(62, None)
@example(60, torch.float16)  # the input fits, torch's product in float32 does not
@examples(40, deadline=None)
def test_a_size_torch_cannot_store_is_refused_naming_the_shape(power, dtype):
    model = torch.nn.Linear(2, 2).to(dtype or torch.float32)
    shape = (2**power, 2)
    itemsize = (dtype or torch.float32).itemsize
    try:
        profile = analytic.profile(model, shape)
    except ValueError as error:
        assert 2**power * 2 * itemsize >= 2**63, error
        assert "input shape" in str(error) or "more than int64" in str(error), error
        return
    except RuntimeError as error:  # the input fits, an intermediate does not: torch refuses the forward itself
        with pytest.raises(RuntimeError, match="Storage size calculation overflowed"):
            torch.nn.Linear(2, 2, device="meta", dtype=dtype)(torch.empty(shape, device="meta", dtype=dtype))
        assert "Storage size calculation overflowed" in str(error)
        return
    assert 2**power * 2 * itemsize < 2**63
    assert profile.total["flops"] == 2 * 2 * 2 * 2**power


@pytest.mark.parametrize("hint, message", [(2**70, "hints['L']"), (2**62, "at the hints")])
def test_a_hint_torch_cannot_store_is_refused_naming_it(hint, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        analytic.profile(torch.nn.Conv1d(2, 2, 3), (1, 2, "L"), hints={"L": hint})


# -- 11: a pass on the meta device that fails says what to try ----------------------------------------


def test_a_meta_pass_that_fails_suggests_a_real_forward():
    from tests import models

    with pytest.raises(RuntimeError, match=r"device='cpu' \(--device cpu\)"):
        analytic.profile(models.broken(), (1, 2, 10))
    with pytest.warns(RuntimeWarning, match="the count may depend on the values"):
        analytic.profile(models.energy_gate(), (1, 4, 16))


# -- 12, 13: every API argument answered by a ValueError or TypeError naming it; NumPy ints taken -----

LAYER = torch.nn.Conv1d(2, 2, 3)


@pytest.fixture(scope="module")
def formula():
    return analytic.profile(LAYER, (1, 2, "L"))


arguments = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**70), st.floats(allow_nan=True), st.text(max_size=4),
                      st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(),
                                                                               max_size=2))
CALLS = {  # each call, and the words its error must name the argument by
    "evaluate": (lambda f, v: f.evaluate(L=v), ("L",)),
    "evaluate(**names)": (lambda f, v: f.evaluate(**({v: 3} if isinstance(v, str) else {"L": 3, "M": v})),
                          ("every size",)),
    "formula": (lambda f, v: f.formula(v), ("convention",)),
    "shares": (lambda f, v: f.evaluate(L=5).shares(v), ("convention",)),
    "simplified": (lambda f, v: f.simplified(multiple_of=v), ("multiple_of",)),
    "simplified(L=)": (lambda f, v: f.simplified(multiple_of={"L": v}), ("multiple_of",)),
    "to_latex_formulas": (lambda f, v: f.to_latex_formulas(v), ("convention",)),
    "to_python": (lambda f, v: f.to_python("flops")(L=v), ("L",)),
    "by_module": (lambda f, v: f.evaluate(L=5).by_module(v), ("depth",)),
    "from_json(sizes=)": (lambda f, v: symbolic.from_json(f.to_json(), sizes=v), ("sizes", "text")),
    "profile(conventions=)": (lambda f, v: analytic.profile(LAYER, (1, 2, 5), conventions=v), ("convention",)),
    "profile(hints=)": (lambda f, v: analytic.profile(LAYER, (1, 2, "L"), hints=v), ("hints",)),
    "profile(hints=L)": (lambda f, v: analytic.profile(LAYER, (1, 2, "L"), hints={"L": v}), ("hints",)),
    "profile(dtypes=)": (lambda f, v: analytic.profile(LAYER, (1, 2, 5), dtypes=v), ("dtypes",)),
    "profile(formulas=)": (lambda f, v: analytic.profile(LAYER, (1, 2, 5), formulas=v), ("formulas",)),
    "profile(device=)": (lambda f, v: analytic.profile(LAYER, (1, 2, 5), device=v), ("device",)),
}


@given(st.sampled_from(sorted(CALLS)), arguments)
@example("profile(hints=)", 3)  # was "'int' object is not iterable"
@example("simplified", 3)  # was "'int' object has no attribute 'items'"
@example("shares", "x")  # was a bare KeyError
@examples(300, deadline=None)
def test_every_api_argument_is_answered_in_the_users_words(formula, call, value):
    function, words = CALLS[call]
    start = time.perf_counter()
    try:
        function(formula, value)
    except (ValueError, TypeError, OverflowError) as error:
        message = str(error)
        assert message and "\n" not in message.strip(), message
        assert any(word in message for word in words), (call, message)
    assert time.perf_counter() - start < SECONDS


@pytest.mark.parametrize("kind", [np.int64, np.int32, np.uint16])
def test_numpy_integers_and_torch_devices_are_taken_where_the_layers_take_them(formula, kind):
    assert analytic.profile(LAYER, (kind(1), kind(2), kind(9)), device=torch.device("cpu")).total == \
        analytic.profile(LAYER, (1, 2, 9)).total
    assert formula.evaluate(L=kind(9)).total == analytic.profile(LAYER, (1, 2, 9)).total
    value = formula.to_python("flops")(L=kind(9))
    assert type(value) is int and value == torch_flops(LAYER, (1, 2, 9))
    assert analytic.profile(LAYER, (1, 2, "L"), hints={"L": kind(100)}).hints == {"L": 100}
    assert formula.simplified(multiple_of={"L": kind(2)}).conditions


# -- 14: a verification that would run for long says how long first --------------------------------


def test_a_long_verification_says_how_long_it_would_take():
    process = subprocess.Popen([sys.executable, "-m", "analytic", "verify", "--samples", str(10**9), "--no-progress"],
                               cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = process.stderr.readline()
    finally:
        process.kill()
        process.wait()
    assert re.match(r"verifying 1,000,000,000 configurations takes about [\d,]+ (days|hours) here", line), line
