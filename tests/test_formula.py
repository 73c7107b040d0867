"""A model's cost as a formula in its input sizes (``analytic.profile`` with named sizes): the
formula evaluated at sizes Hypothesis draws equals the numeric profile at that size and torch's
FlopCounterMode on a real forward; the conditions it states are the ones torch's forward needs."""

import functools
import itertools
import re
import warnings

import pytest
import sympy
import torch
from hypothesis import example, given
from hypothesis import strategies as st

import analytic
from analytic.core.lattice import lattice_count
from analytic.symbolic import from_json
from analytic.symbolic.asymptotic import collapse, simplify_conditions
from analytic.symbolic.functions import LatticeCount
from tests import models
from tests.helpers import torch_flops as _torch_flops
from tests.models import SelfAttention
from tests.profiles import examples
from tests.tools import require

#: model factory, symbolic input shape, and a strategy of sizes (small enough for a real forward)
MODELS = {
    "HiFi-GAN V1 (weight-normalised)": (models.hifigan_generator_weight_norm, (1, 80, "L"),
                                        st.fixed_dictionaries({"L": st.integers(2, 24)})),
    "MelGAN (reflection padding)": (models.melgan_generator, (1, 80, "L"),
                                    st.fixed_dictionaries({"L": st.integers(4, 24)})),
    "DCGAN generator (batch)": (models.dcgan_generator, ("N", 100, 1, 1),
                                st.fixed_dictionaries({"N": st.integers(2, 4)})),
    "U-Net (2-d, ConvTranspose2d)": (models.unet, (1, 1, "H", "W"),
                                     st.fixed_dictionaries({"H": st.sampled_from([16, 32, 48, 64]),
                                                            "W": st.sampled_from([16, 32, 48, 80])})),
    "filterbank decoder": (models.filterbank_decoder, (1, 512, "T"),
                           st.fixed_dictionaries({"T": st.integers(2, 200)})),
    "self-attention (Linear + SDPA)": (SelfAttention, ("B", "T", 32),
                                       st.fixed_dictionaries({"B": st.integers(2, 3), "T": st.integers(2, 40)})),
}


@functools.cache
def _model(name):
    torch.manual_seed(0)
    return MODELS[name][0]()


@functools.cache
def _formula(name):
    return analytic.profile(_model(name), MODELS[name][1])


def _shape(name, sizes):
    return tuple(sizes.get(v, v) if isinstance(v, str) else v for v in MODELS[name][1])


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODELS))
def test_formula_equals_the_numeric_profile_and_torch_flop_counter(name):
    formula = _formula(name)
    assert isinstance(formula.formula("flops"), sympy.Expr)
    simplified = formula.simplified()

    @given(MODELS[name][2])
    @examples(6)
    def check(sizes):
        shape = _shape(name, sizes)
        numeric = analytic.profile(_model(name), shape)
        evaluated = formula.evaluate(**sizes)
        assert evaluated.total == numeric.total
        assert [(r.name, r.op, r.input_shape, r.output_shape, r.counts) for r in evaluated.rows] == [
            (r.name, r.op, r.input_shape, r.output_shape, r.counts) for r in numeric.rows]
        if name.startswith("self-attention"):  # torch's counter misses the CPU attention kernel
            assert evaluated.total["flops"] > _torch_flops(_model(name), shape)
        else:
            assert evaluated.total["flops"] == _torch_flops(_model(name), shape)
        if all(sizes[s.name] >= t for s, t in simplified.thresholds.items()):
            assert simplified.evaluate(**sizes).total == numeric.total

    check()


@pytest.mark.parametrize("name", ["HiFi-GAN V1 (weight-normalised)", "MelGAN (reflection padding)",
                                  "U-Net (2-d, ConvTranspose2d)"])
def test_simplified_form_holds_for_large_sizes(name):
    """Far beyond the threshold (a meta forward, no arithmetic): the simplified total equals the
    numeric profile, whose counts are checked against the all-ones measurement and the tools."""
    simplified = _formula(name).simplified()
    sizes = {s.name: sympy.Symbol(s.name) for s in simplified.sizes}

    @given(st.fixed_dictionaries({n: st.integers(1, 10**5).map(lambda v: 16 * v) for n in sizes}))
    @examples(5)
    def check(values):
        numeric = analytic.profile(_model(name), _shape(name, values))
        assert simplified.evaluate(**values).total == numeric.total

    check()


def test_hifigan_formula_is_a_polynomial_with_integer_coefficients():
    simplified = _formula("HiFi-GAN V1 (weight-normalised)").simplified()
    (L,) = simplified.sizes
    for convention in simplified.conventions:
        poly = sympy.Poly(simplified.formula(convention), L)
        assert poly.degree() == 1 and all(c.is_Integer for c in poly.all_coeffs())
    # the flops of a forward are linear in L: two real forwards give the line
    model = _model("HiFi-GAN V1 (weight-normalised)")
    a, b = (_torch_flops(model, (1, 80, n)) for n in (5, 6))
    assert sympy.expand(simplified.formula("flops") - ((b - a) * L + (a - 5 * (b - a)))) == 0


@pytest.mark.parametrize(("name", "sizes"), [
    ("U-Net (2-d, ConvTranspose2d)", {"H": 40, "W": 32}),  # 40 is not a multiple of 16
    ("U-Net (2-d, ConvTranspose2d)", {"H": 32, "W": 8}),
    ("MelGAN (reflection padding)", {"L": 3}),  # reflection padding 3 needs more than 3 frames
])
def test_a_size_breaking_a_condition_is_refused_and_torch_fails_there_too(name, sizes):
    formula = _formula(name)
    with pytest.raises(ValueError, match="breaks the condition"):
        formula.evaluate(**sizes)
    with pytest.raises(ValueError, match="breaks the condition"):
        formula.to_python()(**sizes)
    with pytest.raises(RuntimeError), torch.no_grad():  # the condition is real: the forward fails
        _model(name)(torch.randn(_shape(name, sizes)))


def test_conditions_state_the_divisibility_and_the_minimum():
    formula = _formula("U-Net (2-d, ConvTranspose2d)")
    H, W = formula.sizes
    assert set(formula.conditions) == {H >= 16, W >= 16, sympy.Eq(sympy.Mod(H, 16), 0),
                                       sympy.Eq(sympy.Mod(W, 16), 0)}
    # every multiple of 16 runs in torch, every other size fails
    model = _model("U-Net (2-d, ConvTranspose2d)")
    for h in range(12, 50):
        try:
            with torch.no_grad():
                model(torch.randn(1, 1, h, 16))
            runs = True
        except RuntimeError:
            runs = False
        assert runs == (h % 16 == 0)


def test_formula_argument_errors():
    formula = _formula("filterbank decoder")
    with pytest.raises(ValueError, match="give every size"):
        formula.evaluate()
    with pytest.raises(ValueError, match="give every size"):
        formula.evaluate(T=5, L=3)
    with pytest.raises(TypeError, match="T must be an int"):
        formula.evaluate(T=5.0)
    with pytest.raises(ValueError, match="L = 4 breaks the condition L >= 5"):  # torch refuses a kernel of 5 on 4
        analytic.profile(torch.nn.Conv1d(1, 1, 5), (1, 1, "L")).evaluate(L=4)
    with pytest.raises(ValueError, match="must be positive"):
        formula.evaluate(T=-3)
    with pytest.raises(TypeError, match="evaluate"):
        formula.shares()
    model = _model("filterbank decoder")
    with pytest.raises(ValueError, match="size '2x' must be a name or an expression of names"):
        analytic.profile(model, (1, 512, "2x"))
    with pytest.raises(ValueError, match="must be an int from 2"):
        analytic.profile(model, (1, 512, "T"), hints={"T": 1})
    with pytest.raises(ValueError, match="sizes the shapes do not have"):
        analytic.profile(model, (1, 512, "T"), hints={"L": 10})
    with pytest.raises(ValueError, match="meta"):
        analytic.profile(model, (1, 512, "T"), device="cpu")
    with pytest.raises(ValueError, match="hints name sizes"):
        analytic.profile(model, (1, 512, 10), hints={"T": 10})


def test_a_model_that_needs_values_gets_a_clear_error():
    with pytest.raises(RuntimeError, match=r"needs tensor values in module '\(model\)' \(a Python branch"):
        analytic.profile(models.energy_gate(), (1, 4, "T"))
    with pytest.raises(RuntimeError, match=r"the sizes of out's aten::convolution depend on tensor values"):
        analytic.profile(models.frame_selector(), (1, 4, "T"))


class PaddedCodec(torch.nn.Module):
    """A Conv-TasNet-style encoder/decoder that pads its input to a multiple of the stride by an
    amount computed from the length (``F.pad``), and trims the output back."""

    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Conv1d(1, 16, 16, stride=8, bias=False)
        self.mask = torch.nn.Conv1d(16, 16, 3, padding=2, dilation=2, groups=16)
        self.decoder = torch.nn.ConvTranspose1d(16, 1, 16, stride=8, bias=False)

    def forward(self, x):
        length = x.shape[-1]
        w = torch.relu(self.encoder(torch.nn.functional.pad(x, (0, (8 - length % 8) % 8))))
        return self.decoder(w * torch.sigmoid(self.mask(w)))[..., :length]


class Recurrent(torch.nn.Module):
    def __init__(self, kind=torch.nn.GRU):
        super().__init__()
        self.rnn = kind(8, 16, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


class Interpolating(torch.nn.Module):
    """Upsampling by a factor and to a skip connection's size, as image decoders and U-Nets do."""

    def __init__(self, mode="nearest"):
        super().__init__()
        self.mode = mode
        self.conv = torch.nn.Conv2d(2, 2, 3, padding=1)
        self.down = torch.nn.Conv2d(2, 2, 3, stride=2, padding=1)

    def forward(self, x):
        up = torch.nn.functional.interpolate(self.down(x), scale_factor=2, mode=self.mode)
        skip = torch.nn.functional.interpolate(self.down(x), size=x.shape[2:], mode=self.mode)
        return self.conv(up) + skip[..., :up.shape[2], :up.shape[3]]


class MatchingUNet(torch.nn.Module):
    """A U-Net step whose decoder matches its encoder's size: ``ConvTranspose2d(..., output_size=)``."""

    def __init__(self):
        super().__init__()
        self.down = torch.nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.up = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)

    def forward(self, x):
        return self.up(self.down(x), output_size=x.shape[2:]) + x


def test_a_decoder_matching_its_encoder_size_gives_a_formula():
    model = MatchingUNet()
    formula = analytic.profile(model, (1, 2, "H", "W"))
    for h, w in ((2, 2), (5, 6), (8, 9), (17, 4)):  # odd sizes too: output_padding follows the size
        numeric = analytic.profile(model, (1, 2, h, w))
        assert formula.evaluate(H=h, W=w).total == numeric.total
        assert numeric.total["flops"] == _torch_flops(model, (1, 2, h, w))


def test_the_bilinear_unet_has_a_formula_in_its_image_size():
    model = models.interpolating_unet()
    formula = analytic.profile(model, (1, 1, "H", "W"))
    for h, w in ((16, 16), (24, 40), (64, 32)):
        numeric = analytic.profile(model, (1, 1, h, w))
        assert formula.evaluate(H=h, W=w).total == numeric.total
        assert numeric.total["flops"] == _torch_flops(model, (1, 1, h, w))


class Stepping(torch.nn.Module):
    """A recurrent cell run in a Python loop over the length."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.GRUCell(2, 4)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], 4)
        for t in range(x.shape[2]):
            h = self.cell(x[:, :, t], h)
        return h


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolation_by_a_factor_and_to_a_size_gives_a_formula(mode):
    model = Interpolating(mode)
    formula = analytic.profile(model, (1, 2, "H", "W"))
    for h, w in ((4, 4), (6, 10), (8, 2), (12, 6)):  # the model adds shapes that match where even
        numeric = analytic.profile(model, (1, 2, h, w))
        assert formula.evaluate(H=h, W=w).total == numeric.total
        assert numeric.total["flops"] == _torch_flops(model, (1, 2, h, w))


def test_a_padding_computed_from_the_size_gives_a_formula():
    model = PaddedCodec()
    formula = analytic.profile(model, (1, 1, "L"))
    simplified = formula.simplified()
    (threshold,) = simplified.thresholds.values()

    @given(st.integers(1, 400))
    @examples(20)
    def check(extra):
        length = threshold + extra - 1
        numeric = analytic.profile(model, (1, 1, length))
        assert formula.evaluate(L=length).total == simplified.evaluate(L=length).total == numeric.total
        assert numeric.total["flops"] == _torch_flops(model, (1, 1, length))

    check()


class Strided(torch.nn.Module):
    """A ResNet-style stem on an image: strided convolutions and a pooling, then global average
    pooling and a classifier (the floors of the sizes do not vanish on their own)."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 7, stride=2, padding=3)
        self.pool = torch.nn.MaxPool2d(3, 2, 1)
        self.down = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.down(self.pool(torch.relu(self.stem(x)))))
        return self.head(torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))


def test_multiples_of_a_stride_give_a_polynomial():
    model = Strided()
    formula = analytic.profile(model, (2, 3, "H", "W"))
    simplified = formula.simplified(multiple_of={"H": 8, "W": 16})
    H, W = simplified.sizes
    for convention in simplified.conventions:
        assert sympy.Poly(simplified.formula(convention), H, W).total_degree() == 2
    assert sympy.Eq(sympy.Mod(H, 8), 0) in simplified.conditions

    @given(st.integers(1, 40), st.integers(1, 40))
    @examples(10)
    def check(h, w):
        h, w = 8 * h + 8 * (simplified.thresholds[H] // 8), 16 * w + 16 * (simplified.thresholds[W] // 16)
        numeric = analytic.profile(model, (2, 3, h, w))
        assert simplified.evaluate(H=h, W=w).total == formula.evaluate(H=h, W=w).total == numeric.total
        assert numeric.total["flops"] == _torch_flops(model, (2, 3, h, w))

    check()
    with pytest.raises(ValueError, match="breaks the condition"):
        simplified.evaluate(H=8 * 9 + 4, W=160)
    with pytest.raises(ValueError, match="not a size"):
        formula.simplified(multiple_of={"L": 8})
    with pytest.raises(ValueError, match="positive int"):
        formula.simplified(multiple_of={"H": 0})


@pytest.mark.parametrize(("model", "shape"), [(Recurrent(), (2, "T", 8)), (Stepping(), (1, 2, "T"))])
def test_a_model_that_fixes_its_size_is_told_so_quickly(model, shape, monkeypatch):
    # stopped after a handful of operator calls, not one step per example value of the size (40,320)
    from analytic.profiling.symbolic import SymbolicStrategy

    seen = []
    before = SymbolicStrategy.before

    def counted(self, op, func, args, kwargs, calls):
        seen.append(calls)
        return before(self, op, func, args, kwargs, calls)

    monkeypatch.setattr(SymbolicStrategy, "before", counted)
    with pytest.raises(RuntimeError, match="the model fixes T = 40320, the example value"):
        analytic.profile(model, shape)
    assert max(seen) < 100


def test_an_lstm_is_a_formula_of_its_steps():
    # an LSTM runs as one fused layer kernel per layer and direction, on the CPU as on meta: its
    # length is a symbolic size like any other (a GRU, run step by step, fixes it: refused above)
    model = models.recurrent()
    formula = analytic.profile(model, (2, "T", 40))
    assert formula.conditions == (sympy.Ge(sympy.Symbol("T", integer=True, positive=True), 2),)
    for steps in (2, 7, 31):
        assert formula.evaluate(T=steps).total == analytic.profile(model, (2, steps, 40), device="cpu").total
    assert sympy.degree(formula.simplified().formula("flops"), formula.sizes[0]) == 1


def test_several_inputs_share_a_named_size():
    model = models.two_inputs()
    formula = analytic.profile(model, example_inputs=((1, 4, "H", "W"), (2, 3, "L")))
    assert [s.name for s in formula.sizes] == ["H", "W", "L"]
    numeric = analytic.profile(model, example_inputs=((1, 4, 5, 7), (2, 3, 9)))
    assert formula.evaluate(H=5, W=7, L=9).total == numeric.total


def test_exports_python_c_json_latex(tmp_path):
    require("cc")
    formula = _formula("U-Net (2-d, ConvTranspose2d)")
    numeric = analytic.profile(_model("U-Net (2-d, ConvTranspose2d)"), (1, 1, 48, 32)).total
    for form in (formula, formula.simplified()):
        for convention in ("exact", "flops"):
            assert form.to_python(convention)(H=48, W=32) == numeric[convention]
            assert form.to_c(convention)(48, 32) == numeric[convention]
            namespace = {}
            exec(form.python_source(convention), namespace)  # our own generated source
            assert namespace["count"](H=48, W=32) == numeric[convention]
        with pytest.raises(ValueError, match="breaks the condition"):
            form.to_c()(40, 32)
        document = __import__("json").loads(form.to_json())
        rebuilt = from_json(__import__("json").dumps({"format": "tapcount-expr", "version": 1,
                                                      "expr": document["total"]["exact"]}), sizes=form.sizes)
        assert rebuilt == form.formula("exact")
        assert document["sizes"] == ["H", "W"]
    latex = formula.simplified().to_latex_formulas()
    assert latex.startswith(r"\begin{align*}") and r"\text{total}" in latex


def test_formula_latex_compiles(tmp_path):
    from tests.helpers import pdflatex as _pdflatex

    latex = _formula("MelGAN (reflection padding)").simplified().to_latex_formulas("exact")
    _pdflatex(tmp_path, "formula", "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
              + latex + "\n\\end{document}\n")


# -- the simplified form, on its own: lattice counts against a brute-force enumeration ---------------


def _brute_lattice(x, n, k, s, d):
    return sum(1 for i in range(max(n, 0)) for m in range(k) if i * s + m * d < x)


@st.composite
def linear_lattice(draw):
    """A lattice count whose bound and length are linear in one size: ``x = a L + b``, ``n = c L + e``."""
    a, c = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    b, e = draw(st.integers(-10, 10)), draw(st.integers(-3, 3))
    k, s, d = draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return a, b, c, e, k, s, d


@pytest.mark.slow
@given(linear_lattice())
@examples(300)
@example((1, 3, 1, 0, 7, 1, 1))  # a forward convolution's taps, padding 3
@example((0, 3, 1, 0, 7, 1, 1))  # the padding's taps
def test_collapsed_lattice_count_equals_enumeration_from_its_threshold(config):
    a, b, c, e, k, s, d = config
    L = sympy.Symbol("L", integer=True, positive=True)
    expr = LatticeCount(a * L + b, c * L + e, k, s, d)
    simple, thresholds = collapse(expr)
    assert not simple.has(LatticeCount, sympy.Min, sympy.Max)
    start = thresholds.get(L, 1)
    for v in range(start, start + 40):
        assert simple.subs(L, v) == _brute_lattice(a * v + b, c * v + e, k, s, d) == lattice_count(
            a * v + b, c * v + e, k, s, d)


@pytest.mark.slow
@given(st.lists(st.sampled_from(["ge", "gt", "div", "floor", "max", "min"]), min_size=1, max_size=4),
       st.integers(1, 20), st.sampled_from([2, 3, 4, 8]))
@examples(200)
def test_simplified_conditions_hold_for_exactly_the_same_sizes(kinds, bound, q):
    L = sympy.Symbol("L", integer=True, positive=True)
    made = {"ge": sympy.Ge(L, bound), "gt": sympy.Gt(L, bound), "div": sympy.Eq(q * sympy.floor(L / q), L),
            "floor": sympy.floor(L / q) >= 1,
            "max": sympy.Max(1, L - q) > 1,  # a pooling's output of at least two (torch's guard)
            "min": sympy.Min(L, bound) >= q}
    conditions = [made[k] for k in kinds]
    short = simplify_conditions(conditions)
    for v in range(1, 4 * bound + 4 * q):
        assert all(c.subs(L, v) for c in conditions) == all(c.subs(L, v) for c in short)
    assert len(short) <= len(set(kinds))  # said once per kind of condition at most
    assert not any(c.has(sympy.Max, sympy.Min) for c in short)  # a maximum read as what it means


@st.composite
def feature_map_conditions(draw):
    """Conditions on two sizes as torch's guards state them for a stack of strided layers: the
    map after each stride (a ceiling, or a floor shifted by a constant) holds more than ``c``
    values, or at least ``c``."""
    H, W = (sympy.Symbol(n, integer=True, positive=True) for n in "HW")
    conditions = []
    for _ in range(draw(st.integers(1, 4))):
        a, b = draw(st.sampled_from([1, 2, 4, 8])), draw(st.sampled_from([1, 2, 4, 8]))
        if draw(st.booleans()):
            h, w = sympy.ceiling(H / a), sympy.ceiling(W / b)
        else:
            h, w = sympy.floor((H - 1) / a) + 1, sympy.floor((W - 1) / b) + 1
        c = draw(st.integers(1, 3))
        conditions.append(sympy.Ne(h * w, c) if draw(st.booleans()) else h * w >= c)
    return conditions


@given(feature_map_conditions())
@examples(100)
def test_conditions_on_several_sizes_hold_for_exactly_the_same_sizes(conditions):
    short = simplify_conditions(conditions)
    H, W = (sympy.Symbol(n, integer=True, positive=True) for n in "HW")
    for h, w in itertools.product(range(1, 20), repeat=2):
        point = {H: h, W: w}
        assert all(c.xreplace(point) for c in conditions) == all(c.xreplace(point) for c in short), point


def test_a_pass_on_symbolic_sizes_runs_a_bounded_number_of_operator_calls(monkeypatch):
    import analytic.profiling.symbolic

    monkeypatch.setattr(analytic.profiling.symbolic, "MAX_SYMBOLIC_CALLS", 2)
    with pytest.raises(RuntimeError, match="more than 2 operator calls"):
        analytic.profile(models.filterbank_decoder(), (1, 512, "T"))


@st.composite
def strided_stacks(draw):
    """A random stack of 1-d layers whose lengths are floors of the input's: strided and dilated
    convolutions (padding, a reflection pad), poolings, transposed convolutions, an instance norm
    (a guard on the length) and activations between."""
    layers, channels = [], 1
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "transposed", "norm"]))
        k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        if kind == "conv":
            out = draw(st.integers(1, 3))
            mode = draw(st.sampled_from(["zeros", "reflect"]))
            p = draw(st.integers(0, (d * (k - 1)) // 2 if mode == "reflect" else d * (k - 1)))
            layers.append(torch.nn.Conv1d(channels, out, k, s, p, d, padding_mode=mode))
            channels = out
        elif kind == "pool":
            layers.append(draw(st.sampled_from([torch.nn.MaxPool1d(k, s, min(draw(st.integers(0, 2)), k // 2)),
                                                torch.nn.AvgPool1d(k, s)])))
        elif kind == "transposed":
            out, p = draw(st.integers(1, 3)), draw(st.integers(0, 2))
            layers.append(torch.nn.ConvTranspose1d(channels, out, k, s, p, draw(st.integers(0, max(s, d) - 1)),
                                                   dilation=d))
            channels = out
        else:
            layers.append(torch.nn.InstanceNorm1d(channels))
        layers.append(draw(st.sampled_from([torch.nn.ReLU(), torch.nn.Identity(), torch.nn.Tanh()])))
    return torch.nn.Sequential(*layers)


@pytest.mark.slow
@given(strided_stacks())
@example(torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3, 2, 1), torch.nn.Conv1d(2, 2, 3, 2, 1),
                             torch.nn.InstanceNorm1d(2)))  # floor(floor(L/2)/2): a period of 4, not 2
@examples(25, deadline=None)
@example(torch.nn.Sequential(torch.nn.MaxPool1d(2, stride=1), torch.nn.ReLU(), torch.nn.Conv1d(1, 1, 2)))
def test_the_simplified_form_equals_the_numeric_profile_from_its_threshold(model):
    try:
        formula = analytic.profile(model, (1, 1, "L"))
    except RuntimeError:
        return  # no length works (a kernel longer than any output); the refusal is tested elsewhere
    simplified = formula.simplified()
    (size,) = simplified.sizes
    start = simplified.thresholds[size]
    for length in range(start, start + 48):
        numeric = analytic.profile(model, (1, 1, length))
        assert simplified.evaluate(L=length).total == formula.evaluate(L=length).total == numeric.total, length


def test_a_scripted_function_in_the_forward_is_run_as_its_python_source():
    model = models.snake_encoder()
    formula = analytic.profile(model, (1, 1, "L"))
    assert isinstance(models.snake, torch.jit.ScriptFunction)  # put back after the pass
    (L,) = formula.sizes
    assert all(c.free_symbols == {L} and not isinstance(c, sympy.Eq) for c in formula.conditions), formula.conditions
    for length in (8, 13, 100, 1001):
        numeric = analytic.profile(model, (1, 1, length))
        assert formula.evaluate(L=length).total == numeric.total
        assert numeric.total["flops"] == _torch_flops(model, (1, 1, length))
        assert any(r.op == "aten::sin" for r in numeric.rows)


def test_a_scripted_module_is_refused_by_name_and_counted_on_the_cpu():
    model = torch.jit.script(models.snake_encoder())
    with pytest.raises(RuntimeError, match=r"module '\(model\)' is TorchScript"):
        analytic.profile(model, (1, 1, "L"))
    with pytest.warns(RuntimeWarning, match="is TorchScript, whose tensors do not move to the meta device"):
        prof = analytic.profile(model, (1, 1, 100))
    assert prof.device == "cpu" and prof.total["flops"] == _torch_flops(model, (1, 1, 100))
    # TorchScript inlines both activations and computes their common 1/α once: 16 operations fewer
    python = analytic.profile(models.snake_encoder(), (1, 1, 100)).total
    assert prof.total["exact"] == python["exact"] - 2 * 8


class Pinning(torch.nn.Module):
    """Reads an expression of its length as a number (``int()``): torch fixes it to its value at
    the example length."""

    def forward(self, x):
        frames = int(x.shape[-1] // 4)
        return x[..., :4 * frames].reshape(x.shape[0], frames, 4).sum(-1)


def test_a_size_expression_read_as_a_number_is_refused_where_the_code_reads_it():
    with pytest.raises(RuntimeError, match=r"torch fixes floor\(L/4\) = 10080 \(its value at the example size"
                                           r" L = 40320\) at .*test_formula.py:\d+ in forward"):
        analytic.profile(Pinning(), (1, "L"))


class Summing(torch.nn.Module):
    def forward(self, a, b):
        return torch.nn.functional.relu(a + b)


def test_two_inputs_whose_sizes_must_match_give_that_condition():
    formula = analytic.profile(Summing(), example_inputs=((1, 4, "L"), (1, 4, "M")))
    L, M = formula.sizes
    assert sympy.Eq(M, L) in formula.conditions
    with pytest.raises(RuntimeError):  # torch refuses the sum
        Summing()(torch.ones(1, 4, 5), torch.ones(1, 4, 6))
    with pytest.raises(ValueError, match="breaks the condition M == L"):
        formula.evaluate(L=5, M=6)
    with pytest.raises(ValueError, match="breaks the condition"):
        formula.to_python("exact")(L=5, M=6)
    assert formula.evaluate(L=5, M=5).total == analytic.profile(Summing(), example_inputs=((1, 4, 5), (1, 4, 5))).total


def test_a_size_given_as_an_expression_of_another_gives_a_formula_of_that_one():
    # the audio of a vocoder fed F frames is 16*F - 32 samples long (hop 16, 16 cropped at each end)
    model = models.conditioned_vocoder()
    formula = analytic.profile(model, example_inputs=((1, 8, "F"), (1, 1, "16*F - 32")))
    (F,) = formula.sizes
    assert F.name == "F" and formula.conditions == (F >= 3,)
    with pytest.raises(RuntimeError):  # F = 2 leaves no sample: torch's forward refuses it
        model(torch.ones(1, 8, 2), torch.ones(1, 1, 0))
    for frames in (3, 4, 7, 12):
        x = (torch.randn(1, 8, frames), torch.randn(1, 1, 16 * frames - 32))
        evaluated = formula.evaluate(F=frames).total
        assert evaluated == analytic.profile(model, example_inputs=x).total
        assert evaluated["flops"] == _torch_flops(model, x)


def test_two_sizes_that_follow_one_another_given_apart_say_how_to_relate_them():
    with pytest.raises(RuntimeError) as raised:
        analytic.profile(models.conditioned_vocoder(), example_inputs=((1, 8, "F"), (1, 1, "S")))
    message = str(raised.value)
    assert "example values tried: F = 40320, S = 40320" in message
    assert "hints={'F': ..., 'S': ...}" in message and "give it as their expression" in message
    assert not re.search(r"\bs\d+\b", message)  # torch's own symbols (s0, s1) never reach the user


@pytest.mark.parametrize("text, rule", [
    ("F/2", "use //"), ("F**2", "Pow is not allowed"), ("__import__('os').system('true')", "Call is not allowed"),
    ("F.real", "Attribute is not allowed"), ("1.5*F", "not an integer"), ("F if F else 2", "IfExp"),
    ("F" * 201, "longer than 200 characters"), ("2*(F", "does not parse"), ("16", "names no size"),
    ("lambda: F", "Lambda is not allowed"), ("[F]", "List is not allowed")])
def test_a_size_expression_is_read_as_integer_arithmetic_and_never_run(text, rule):
    with pytest.raises(ValueError, match=re.escape(rule)):
        analytic.profile(models.conditioned_vocoder(), example_inputs=((1, 8, "F"), (1, 1, text)))


class FromPythonData(torch.nn.Module):
    """Tensors made inside the forward from Python data: an index list (the last step, as a
    language model's head takes it), a constant, and an empty cache (a decoder's first call)."""

    def __init__(self):
        super().__init__()
        self.cache = torch.tensor([])

    def forward(self, x):
        last = x[:, [-1], :] * torch.tensor([1.0, 2.0, 3.0, 4.0])
        return torch.cat([self.cache.view(1, -1, 4).to(x), x, last], 1).softmax(-1)


def test_tensors_made_from_python_data_in_the_forward_are_counted_on_every_pass():
    model = FromPythonData()
    formula = analytic.profile(model, (1, "T", 4))
    for steps in (2, 5, 30):
        numeric = analytic.profile(model, (1, steps, 4))
        assert numeric.device == "meta"
        assert formula.evaluate(T=steps).total == numeric.total == analytic.profile(
            model, (1, steps, 4), device="cpu").total


def _torch_runs(model, inputs) -> bool:
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model(*inputs)
    except (RuntimeError, ValueError, IndexError):
        return False
    return True


#: models, symbolic shapes, the sizes scanned, and the dtype of their input
PERMISSIVENESS = {
    "ResNet in training mode (batch norm needs two values per channel)": (
        lambda: models.resnet().train(), (1, 3, "H", "W"), {"H": range(1, 70, 3), "W": range(1, 70, 7)}, None),
    "ResNet in evaluation mode (any image of one pixel on)": (
        models.resnet, (1, 3, "H", "W"), {"H": range(1, 40, 3), "W": range(1, 40, 7)}, None),
    "U-Net with bilinear upsampling (skips need multiples of 8)": (
        models.interpolating_unet, (1, 1, "H", "W"), {"H": range(1, 40), "W": range(6, 40, 5)}, None),
    "language model (its positions' table)": (models.language_model, (1, "T"), {"T": range(1, 140)}, torch.long),
    "language model with a causal mask buffer": (models.masked_attention_lm, (2, "T"), {"T": range(1, 110)},
                                                 torch.long),
    "strided 1-d stack with instance norm": (
        lambda: torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3, 2, 1), torch.nn.Conv1d(2, 2, 3, 2, 1),
                                    torch.nn.InstanceNorm1d(2)), (1, 1, "L"), {"L": range(1, 40)}, None),
    "batch of a DCGAN generator (batch norm in training mode)": (
        lambda: models.dcgan_generator().train(), ("N", 100, 1, 1), {"N": range(1, 6)}, None),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PERMISSIVENESS))
def test_the_conditions_admit_exactly_the_sizes_torch_runs(name):
    make, shape, scan, dtype = PERMISSIVENESS[name]
    torch.manual_seed(0)
    model = make()
    formula = analytic.profile(model, shape, dtypes=[dtype] if dtype else None)
    names = list(scan)
    for values in itertools.product(*scan.values()):
        sizes = dict(zip(names, values, strict=True))
        concrete = tuple(sizes.get(v, v) if isinstance(v, str) else v for v in shape)
        x = torch.zeros(concrete, dtype=dtype) if dtype else torch.randn(concrete)
        try:
            formula.values(**sizes)
            allowed = True
        except ValueError:
            allowed = False
        assert allowed == _torch_runs(model, (x,)), (sizes, formula.conditions)
        if allowed and sum(values) % 7 == 0:  # and where allowed, the count is the model's
            assert formula.evaluate(**sizes).total == analytic.profile(model, concrete, dtypes=[dtype] if dtype
                                                                        else None).total


class _Calls(torch.nn.Module):
    """One function of the input: the operators it runs, in a formula of the input's size."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


def _index(x):
    return torch.zeros(x.shape, dtype=torch.long)


#: functions whose operators have formulas beyond the test models': losses (their reductions),
#: selections, distances, scatters, a fold, element-wise functions
OPERATOR_CALLS = {
    "mse_loss": lambda x: torch.nn.functional.mse_loss(x, 2 * x),
    "binary_cross_entropy_with_logits": lambda x: torch.nn.functional.binary_cross_entropy_with_logits(
        x, x.sigmoid(), pos_weight=torch.ones(8)),
    "weighted cross entropy": lambda x: torch.nn.functional.cross_entropy(
        x.flatten(0, 1), torch.zeros(x.shape[0] * x.shape[1], dtype=torch.long), weight=torch.ones(8)),
    "topk, sort, median, kthvalue": lambda x: torch.topk(x, 3, dim=1).values.sum() + x.sort(1).values.sum()
    + x.median(1).values.sum() + x.kthvalue(2, 1).values.sum(),
    "cdist (both forms)": lambda x: torch.cdist(x, x).sum() + torch.cdist(x[:, :20], x[:, :20]).sum(),
    "scatter_add, index_add": lambda x: torch.zeros_like(x).scatter_add(1, _index(x), x).index_add(
        2, torch.zeros(8, dtype=torch.long), x),
    "fold": lambda x: torch.nn.functional.fold(x.transpose(1, 2).reshape(1, 16, -1), (x.shape[1] - 1, 1), (2, 1),
                                               padding=(1, 0)),
    "sinc, logit, heaviside, logaddexp": lambda x: torch.sinc(x) + torch.logit(x, 1e-3) + torch.heaviside(x, x)
    + torch.logaddexp(x, x),
}


@pytest.mark.parametrize("name", list(OPERATOR_CALLS))
def test_operator_formulas_evaluate_on_symbolic_sizes(name):
    model = _Calls(OPERATOR_CALLS[name])
    formula = analytic.profile(model, (2, "L", 8), hints={"L": 30})
    for length in (26, 30, 41):  # torch.cdist branches at 25 rows
        numeric = analytic.profile(model, (2, length, 8))
        assert formula.evaluate(L=length).total == numeric.total
        assert not numeric.uncounted


def test_a_batch_of_any_size_is_a_formula_in_every_column():
    # thop charges an adaptive average pooling int((n / o + 1) * outputs) in floating point: on a
    # symbolic batch that is the floor of an exact quotient, an integer at every size
    model = models.spatial_transformer()
    formula = analytic.profile(model, ("N", 1, 28, 28))
    for batch in (1, 3, 4):
        assert formula.evaluate(N=batch).total == analytic.profile(model, (batch, 1, 28, 28)).total


class WindowOrWhole(torch.nn.Module):
    """Attends within windows of 8 where the sequence is longer than a window, over the whole of it
    otherwise (Swin's rule for a feature map no larger than its window): two paths by size."""

    def __init__(self):
        super().__init__()
        self.mix = torch.nn.Linear(4, 4)

    def forward(self, x):  # (N, L, 4)
        if x.shape[1] > 8:
            x = x[:, : x.shape[1] // 8 * 8].reshape(x.shape[0], -1, 8, 4)
        scores = torch.softmax(x @ x.transpose(-1, -2), dim=-1)
        return self.mix(scores @ x)


def test_a_size_on_another_path_is_refused_with_the_hints_that_derive_its_formula():
    model = WindowOrWhole()
    formula = analytic.profile(model, (2, "L", 4))  # derived on a long sequence: the windowed path
    assert formula.evaluate(L=64).total == analytic.profile(model, (2, 64, 4)).total
    with pytest.raises(ValueError, match=r"L = 6 breaks the condition .* if the model runs at these sizes it takes"
                                         r" another path there: profile it with hints=\{'L': 6\}"):
        formula.evaluate(L=6)
    short = analytic.profile(model, (2, "L", 4), hints={"L": 6})
    for length in (3, 6, 8):
        assert short.evaluate(L=length).total == analytic.profile(model, (2, length, 4)).total


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "training step"])
def test_a_mixture_of_experts_has_a_formula_in_its_batch(backward):
    # its grouped products' meta kernel refuses float32 on symbolic sizes as on numeric ones
    model = models.mixture_of_experts()
    formula = analytic.profile(model, ("N", 8, 16), backward=backward)
    for batch in (1, 2, 5):
        assert formula.evaluate(N=batch).total == analytic.profile(model, (batch, 8, 16), backward=backward).total
