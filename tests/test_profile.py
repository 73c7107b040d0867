"""analytic.profile: every convolution and matrix product of whole models, counted at the operator
level, checked against torch's FlopCounterMode and the all-ones measurement on real forwards."""

import copy
import gc
import json
import warnings
from typing import ClassVar

import pytest
import torch

import analytic
import empirical
from tests import models
from tests.helpers import pdflatex as _pdflatex
from tests.helpers import torch_flops as _torch_flops
from tests.models import SelfAttention
from tests.test_backward import MODELS as TRAINED  # the models of the training-step tests

#: the models of tests/models.py, from their papers' configurations, with an input each
MODELS = {
    "HiFi-GAN V1 (weight-normalised)": (models.hifigan_generator_weight_norm, (1, 80, 20)),
    "MelGAN (reflection padding)": (models.melgan_generator, (1, 80, 20)),
    "DCGAN generator": (models.dcgan_generator, (2, 100, 1, 1)),
    "U-Net (ConvTranspose2d)": (models.unet, (1, 1, 64, 64)),
    "filterbank decoder (F.conv_transpose1d, a trimming subclass)": (models.filterbank_decoder, (1, 512, 50)),
    "spectrogram masker (torch.istft)": (models.spectrogram_masker, (1, 2, 257, 20)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_flops_total_equals_torch_flop_counter_on_a_real_forward(name):
    make, shape = MODELS[name]
    model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # each runs on the meta device
        prof = analytic.profile(model, shape)
    assert prof.total["flops"] == _torch_flops(model, shape)
    convolutions = _convolutions(prof)
    assert convolutions and all(r.counts["exact"] <= r.counts["flops"] for r in convolutions)
    assert not prof.uncounted  # every operator the model runs is known


def _convolutions(prof):
    return [r for r in prof.rows if r.op == "aten::convolution"]


def _calls(model, *inputs):
    """(module, input shape) of every convolution module call of a real forward."""
    calls = []
    kinds = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose1d, torch.nn.ConvTranspose2d,
             torch.nn.ConvTranspose3d)
    handles = [m.register_forward_hook(lambda mod, args, out: calls.append((mod, tuple(args[0].shape))))
               for m in model.modules() if isinstance(m, kinds)]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return calls


@pytest.fixture(scope="module")
def hifigan():
    return models.hifigan_generator()


def test_every_convolution_of_hifigan_is_a_row_equal_to_the_all_ones_measurement(hifigan):
    shape = (1, 80, 100)
    prof = analytic.profile(hifigan, shape)
    calls = _calls(hifigan, torch.randn(shape))
    # conv_pre, 4 upsamplers, 12 residual blocks of 6 convolutions, conv_post: one row per call
    convolutions = _convolutions(prof)
    assert [r.name for r in convolutions] == [names for names in (_name(hifigan, m) for m, _ in calls)]
    assert len(convolutions) == 1 + 4 + 12 * 6 + 1
    measured = [empirical.measure(module, s) for module, s in calls]  # one all-ones forward per call
    for convention in analytic.CONVENTIONS:
        assert [r.counts[convention] for r in convolutions] == [m[convention] for m in measured], convention
    assert [r.output_shape for r in prof.rows if r.type == "ConvTranspose1d"] == [
        (1, 256, 800), (1, 128, 6400), (1, 64, 12800), (1, 32, 25600)]
    # every operator is a row: the activations, the residual sums, the average of the blocks
    counted = prof.coverage["counted"]
    assert counted["aten::convolution"] == 78 and counted["aten::leaky_relu"] == 4 + 12 * 6 + 1
    # three residual sums per block, and per stage the sum of three blocks (from 0) and its division
    assert counted["aten::tanh"] == 1 and counted["aten::add"] == 12 * 3 + 4 * 3 and counted["aten::div"] == 4
    assert not prof.uncounted
    shares = prof.shares("flops")
    assert {kind for kind, share in shares.items() if share} == {"Conv1d", "ConvTranspose1d"}
    assert abs(sum(shares.values()) - 1) < 1e-12
    assert abs(sum(prof.shares("exact").values()) - 1) < 1e-12


def _name(model, module):
    return next(name for name, m in model.named_modules() if m is module)


def test_weight_normalised_generator_is_counted_like_the_plain_one(hifigan):
    # weight_norm computes the weight inside the layer: its operators are not rows of their own
    normalised = models.hifigan_generator_weight_norm()
    prof = analytic.profile(normalised, (1, 80, 30))
    plain = analytic.profile(hifigan, (1, 80, 30))
    computed = [r for r in prof.rows if r.op != "aten::_weight_norm_interface"]
    assert [(r.name, r.type, r.counts) for r in computed] == [(r.name, r.type, r.counts) for r in plain.rows]
    # the weights it computes, once per call: g v / ||v||, 3 M + 1 per output channel of M weights
    norms = [r for r in prof.rows if r.op == "aten::_weight_norm_interface"]
    assert len(norms) == 78 and {r.name for r in norms} == {r.name for r in _convolutions(plain)}
    # (norms over every dimension but the first, parametrizations.weight_norm's default)
    assert sum(r.counts["exact"] for r in norms) == sum(
        3 * m.weight.numel() + m.weight.shape[0]
        for m in hifigan.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)))
    assert all(r.counts["flops"] == 0 for r in norms)
    with pytest.warns(FutureWarning, match="deprecated"):  # the old style, still common in the wild
        old_style = torch.nn.utils.weight_norm(torch.nn.ConvTranspose1d(8, 4, 16, 8, padding=4))
    rows = analytic.profile(torch.nn.Sequential(old_style), (1, 8, 10)).rows
    assert [r.op for r in rows] == ["aten::_weight_norm_interface", "aten::convolution"]
    assert rows[1].counts["exact"] == empirical.ops(old_style, (1, 8, 10), "exact")


def test_functional_calls_subclasses_and_trimming_count_as_executed():
    model = models.filterbank_decoder()
    prof = analytic.profile(model, (1, 512, 50))
    convolutions = _convolutions(prof)
    assert [(r.name, r.type) for r in convolutions] == [("", "FilterbankDecoder"), ("causal", "CausalConvTranspose1d")]
    functional = analytic.ConvTranspose1d(512, 1, 16, stride=8, bias=False)
    causal = analytic.ConvTranspose1d(512, 1, 16, stride=8)  # computed in full, trimmed afterwards
    for convention in analytic.CONVENTIONS:
        assert convolutions[0].counts[convention] == functional.ops((1, 512, 50), convention)
        assert convolutions[1].counts[convention] == causal.ops((1, 512, 50), convention)
    assert convolutions[1].output_shape == (1, 1, 408)  # before the trim
    assert prof.rows == tuple(convolutions)  # the trims are views: data movement, not rows
    assert set(prof.data_movement) >= {"aten::slice"}
    # measuring the trimming module's output would count 400 positions: refused, not silently wrong
    with pytest.raises(ValueError, match=r"forward returns spatial size \(400,\), not the \(408,\)"):
        empirical.ops(model.causal, (1, 512, 50))


def test_a_boolean_mask_falls_back_to_a_cpu_forward_with_one_warning():
    model = models.frame_selector()
    # the frames kept are the mask's true values: a shape only values give
    with pytest.warns(RuntimeWarning, match=r"aten::index needs tensor values \(in module '\(model\)'\): counting on"
                                            r" a real CPU forward instead \(the count may depend on the values"):
        prof = analytic.profile(model, (1, 4, 30))
    assert prof.device == "cpu" and [r.name for r in _convolutions(prof)] == ["conv", "out"]
    assert _convolutions(prof)[0].counts == {c: analytic.Conv1d(4, 8, 3, padding=1).ops((1, 4, 30), c)
                                             for c in analytic.CONVENTIONS}
    kept = _convolutions(prof)[1].input_shape[2]  # the frames the real forward kept
    assert 0 < kept < 30 and _convolutions(prof)[1].counts["flops"] == 2 * 8 * 8 * kept
    x = torch.randn((1, 4, 30), generator=torch.Generator().manual_seed(0))  # the input the fallback draws
    assert prof.total["flops"] == _torch_flops(model, (x,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # asked for: no warning
        assert analytic.profile(model, (1, 4, 30), device="cpu").total == prof.total


def test_a_branch_on_a_value_falls_back_to_the_cpu_and_says_the_count_may_depend_on_values():
    model = models.energy_gate()
    with pytest.warns(RuntimeWarning, match=r"needs tensor values .*: counting on a real CPU forward instead \(the"
                                            r" count may depend on the values"):
        prof = analytic.profile(model, (1, 4, 30))
    x = torch.randn((1, 4, 30), generator=torch.Generator().manual_seed(0))  # the input the fallback draws
    with torch.no_grad():
        loud = bool(model.conv(x).pow(2).mean() > model.threshold)
    assert [r.name for r in _convolutions(prof)] == (["conv", "out"] if loud else ["conv"])
    assert prof.total["flops"] == _torch_flops(model, (x,))


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize(("n_fft", "hop", "win", "center", "normalized", "length", "complex_output"), [
    (512, 128, None, True, False, None, False),  # a vocoder's inverse transform
    (16, 4, 10, True, True, 20, False),  # a shorter window, centred by zeros; trimmed to a length
    (16, 4, None, False, False, None, False),  # not centred
    (16, 4, None, True, False, 90, True),  # complex output, padded to a longer length
    (15, 5, 15, True, False, None, False),  # an odd transform
])
def test_istft_runs_on_the_meta_device_as_the_cpu_runs_it(batched, n_fft, hop, win, center, normalized, length,
                                                          complex_output):
    class Inverse(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("window", torch.hann_window(win or n_fft) + 0.1)

        def forward(self, spec):
            return torch.istft(spec, n_fft, hop, win or None, self.window, center, normalized,
                               onesided=not complex_output, length=length, return_complex=complex_output)

    bins = n_fft if complex_output else n_fft // 2 + 1
    shape = (2, bins, 7) if batched else (bins, 7)
    spec = torch.randn(shape, dtype=torch.complex64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback to the CPU
        warnings.filterwarnings("ignore", "The length of signal is shorter")  # torch's, for the padded case
        on_meta = analytic.profile(Inverse(), example_inputs=spec)
        on_cpu = analytic.profile(Inverse(), example_inputs=spec, device="cpu")
    assert on_meta.device == "meta" and on_cpu.device == "cpu"
    assert [(r.op, r.input_shape, r.output_shape, r.counts) for r in on_meta.rows] == [
        (r.op, r.input_shape, r.output_shape, r.counts) for r in on_cpu.rows]
    assert on_meta.data_movement == on_cpu.data_movement and not on_meta.uncounted
    assert "aten::_fft_c2c" if complex_output else "aten::_fft_c2r" in on_meta.coverage["counted"]


def test_a_model_with_istft_has_a_formula_in_its_frames():
    formula = analytic.profile(models.spectrogram_masker(), (1, 2, 257, "T"))
    for frames in (2, 5, 20):
        numeric = analytic.profile(models.spectrogram_masker(), (1, 2, 257, frames))
        assert formula.evaluate(T=frames).total == numeric.total


def test_matrix_products_of_linear_layers_and_matmul():
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3, bias=False))
    prof = analytic.profile(model, (4, 6))
    assert [r.op for r in prof.rows] == ["aten::addmm", "aten::relu", "aten::mm"]
    assert prof.total["flops"] == _torch_flops(model, (4, 6)) == 2 * 4 * (6 * 5 + 5 * 3)
    # exact: each output sums k products with k - 1 additions, plus the bias
    assert prof.rows[0].counts["exact"] == 4 * 5 * (2 * 6) and prof.rows[2].counts["exact"] == 4 * 3 * (2 * 5 - 1)
    assert prof.rows[1].counts["exact"] == 4 * 5  # max(x, 0): one comparison per element

    class Attention(torch.nn.Module):
        def forward(self, q):
            return torch.softmax(q @ q.transpose(-1, -2), -1) @ q

    batched = analytic.profile(Attention(), (3, 7, 4))
    assert {r.op for r in batched.rows} == {"aten::bmm", "aten::_softmax"}
    assert batched.total["flops"] == _torch_flops(Attention(), (3, 7, 4)) == 2 * (2 * 3 * 7 * 7 * 4)


def test_profile_leaves_the_model_untouched(hifigan):
    before = copy.deepcopy(hifigan.state_dict())
    hooks = sum(len(m._forward_hooks) for m in hifigan.modules())
    analytic.profile(hifigan, (2, 80, 30))
    assert all(torch.equal(before[k], v) for k, v in hifigan.state_dict().items())
    assert all(p.device.type == "cpu" for p in hifigan.parameters())
    assert sum(len(m._forward_hooks) for m in hifigan.modules()) == hooks
    assert not torch.nn.modules.module._global_forward_hooks  # the attribution hooks are gone


def test_profile_with_several_inputs_2d_and_output_size():
    model = models.two_inputs()
    image, signal = torch.randn(1, 4, 5, 6), torch.randn(2, 3, 9)
    prof = analytic.profile(model, example_inputs=(image, signal))
    convolutions = _convolutions(prof)
    assert [r.name for r in convolutions] == ["up", "up", "up1d"]
    assert prof.coverage["counted"]["aten::relu"] == 1
    # the second call's output_size raises output_padding to 1: counted with it
    assert convolutions[1].output_shape == (1, 2, 10, 12) != convolutions[0].output_shape
    resized = analytic.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    assert convolutions[1].counts["exact"] == resized.ops((1, 4, 5, 6), "exact")
    assert convolutions[2].counts["exact"] == empirical.ops(model.up1d, (2, 3, 9), "exact")
    # shapes instead of tensors work too
    again = analytic.profile(model, example_inputs=((1, 4, 5, 6), (2, 3, 9)))
    assert again.total == prof.total
    # one shape alone is one input, not four
    single = analytic.profile(models.broken(), example_inputs=(1, 2, 47))  # 2 x 49 outputs: view works
    assert single.total == analytic.profile(models.broken(), (1, 2, 47)).total
    assert _convolutions(single)[0].input_shape == (1, 2, 47)


def test_profile_reports_a_failing_forward_and_leaves_the_model_alone():
    model = models.broken()
    with pytest.raises(RuntimeError, match="forward pass on the meta device failed"):
        analytic.profile(model, (1, 2, 10))
    assert model.up.weight.device.type == "cpu" and not model.up._forward_hooks


def test_profile_argument_errors():
    model = models.broken()
    with pytest.raises(ValueError, match="exactly one of input_shape and example_inputs"):
        analytic.profile(model)
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got int"):
        analytic.profile(42, (1, 2, 3))
    with pytest.raises(ValueError, match="convention"):
        analytic.profile(model, (1, 2, 3), conventions=("nope",))
    with pytest.raises(ValueError, match=r"device \('cuda'\) must be 'meta' or 'cpu'"):
        analytic.profile(model, (1, 2, 3), device="cuda")


def test_profile_exports(hifigan, tmp_path):
    prof = analytic.profile(hifigan, (1, 80, 100))
    document = json.loads(prof.to_json())
    assert document["total"] == prof.total and len(document["rows"]) == len(prof.rows)
    assert document["uncounted"] == prof.uncounted == {} and document["covers"] == "every operator that computes"
    assert document["parameters"] == prof.parameters and document["activation_bytes"] == prof.activation_bytes
    csv_lines = prof.to_csv().splitlines()
    assert csv_lines[0].startswith("layer,type,op,input_shape,output_shape,moduleprofiler")
    assert csv_lines[-1].startswith("total (every operator that computes),")
    assert csv_lines[-1].endswith(f"{prof.total['deepspeed']},{prof.activation_bytes},,,")
    upsampler = next(i for i, r in enumerate(prof.rows) if r.name == "ups.0")
    assert document["rows"][upsampler]["parameters"] == {
        "input": [1, 512, 100], "weight": [512, 256, 16], "bias": [256], "stride": [8], "padding": [4],
        "dilation": [1], "transposed": True, "output_padding": [0], "groups": 1}
    markdown = prof.to_markdown()
    assert "| ups.0 | ConvTranspose1d | 1×512×100 | 1×256×800 |" in markdown
    assert "| resblocks.0 | ResBlock | 1×256×800 | 1×256×800 |" in markdown  # a leaky ReLU of a residual block
    assert "| data movement: aten::" not in markdown  # HiFi-GAN moves no data: no view, no copy
    assert "| total (every operator that computes) |" in markdown
    frame = prof.to_pandas()
    assert list(frame["flops"]) == [r.counts["flops"] for r in prof.rows]
    _pdflatex(tmp_path, "profile", "\\documentclass{article}\n\\usepackage[a3paper,landscape]{geometry}\n"
              "\\usepackage{booktabs}\n\\begin{document}\n\\tiny\n" + prof.to_latex() + "\n\\end{document}\n")


class FusedAttention(torch.nn.Module):
    def forward(self, q):
        return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, q, q)[0]


def test_attention_counts_its_two_products_where_torch_counts_none():
    # B H L S E: 2 * 4 * 9 * 9 * 8, twice (scores, then the weighted values), doubled for flops
    model = SelfAttention()
    prof = analytic.profile(model, (2, 9, 32))
    attention = 2 * 2 * (2 * 4 * 9 * 9 * 8)
    projections = 2 * (2 * 9) * (32 * 96 + 32 * 32)
    assert prof.total["flops"] == attention + projections
    # torch's counter has no formula for the CPU attention kernel a real forward runs: it misses it
    assert _torch_flops(model, (2, 9, 32)) == projections
    fused = analytic.profile(FusedAttention(), device="cpu", example_inputs=((2, 4, 9, 8),))
    assert fused.total["flops"] == attention
    assert fused.rows[0].op == "aten::_scaled_dot_product_flash_attention_for_cpu"


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "training step"])
@pytest.mark.parametrize("name", list(TRAINED))
def test_a_profile_leaves_no_cycles_for_the_garbage_collector(name, backward):
    """The meta pass runs with Python's cyclic collector paused; what it allocates must then be
    freed by reference counting alone: gc, asked to keep what it finds, finds nothing."""
    make, inputs, _ = TRAINED[name]
    model, x = make(), inputs()
    dtypes = None if x.is_floating_point() else [x.dtype]
    analytic.profile(model, tuple(x.shape), dtypes=dtypes, backward=backward)  # caches filled
    gc.collect()
    gc.garbage.clear()
    gc.set_debug(gc.DEBUG_SAVEALL)  # every collection, automatic or not, keeps what it finds
    try:
        analytic.profile(model, tuple(x.shape), dtypes=dtypes, backward=backward)
        gc.collect()
        assert not gc.garbage, [type(o).__name__ for o in gc.garbage[:10]]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


class _CollectorWitness(torch.nn.Module):
    """Notes whether the cyclic collector runs during its forward; raises if asked to."""

    seen: ClassVar[list[bool]] = []

    def __init__(self, fail: bool = False):
        super().__init__()
        self.linear, self.fail = torch.nn.Linear(4, 2), fail

    def forward(self, x):
        _CollectorWitness.seen.append(gc.isenabled())
        if self.fail:
            raise ValueError("a forward that fails")
        return self.linear(x)


@pytest.mark.parametrize("enabled", [True, False], ids=["collector on", "collector off"])
def test_the_collector_is_paused_for_the_meta_pass_and_restored(enabled):
    _CollectorWitness.seen = []
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        analytic.profile(_CollectorWitness(), (3, 4))
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError, match="a forward that fails"):
            analytic.profile(_CollectorWitness(fail=True), (3, 4))
        assert gc.isenabled() is enabled
        analytic.profile(_CollectorWitness(), (3, 4), device="cpu")  # real tensors: the collector as it was
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    # the copy's forward ran paused on the meta device, as the user left it on the CPU
    assert _CollectorWitness.seen[:2] == [False, False] and _CollectorWitness.seen[2:] == [enabled]


class _Counts(torch.nn.Module):
    def forward(self, x):
        return torch.bincount(x.long().flatten().clamp(0, 3))  # no meta kernel: a CPU pass


class _Scripted(torch.nn.Module):
    def __init__(self):
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.script's deprecation
            self.linear = torch.jit.script(torch.nn.Linear(3, 3))

    def forward(self, x):
        return self.linear(x)


@pytest.mark.parametrize("model", [_Counts, _Scripted])
def test_a_profile_warning_points_at_the_caller_line(model):
    """The warning that a CPU pass replaced the meta pass names the user's line, not tapcount's."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analytic.profile(model(), (2, 3))
    assert [(w.filename, w.category) for w in caught] == [(__file__, RuntimeWarning)]
    if model is _Counts:  # an operator torch has no meta kernel for, whatever the values
        assert str(caught[0].message).startswith("aten::bincount has no meta kernel (in module '(model)')")


class MaskedGate(torch.nn.Module):
    """Runs one layer where every position of its mask is set, two otherwise (a branch on values,
    as transformers' models skip an attention mask that masks nothing)."""

    def __init__(self):
        super().__init__()
        self.embed, self.layer = torch.nn.Embedding(10, 4), torch.nn.Linear(4, 4)

    def forward(self, ids, mask):
        x = self.embed(ids)
        return self.layer(x) if bool(mask.all()) else self.layer(self.layer(x))


def test_the_cpu_pass_reads_the_integer_and_boolean_inputs_given_with_their_values():
    ids = torch.tensor([[1, 2, 3]])
    per_layer = 2 * 3 * 4 * 4
    for mask, layers in ((torch.ones(1, 3, dtype=torch.bool), 1), (torch.tensor([[True, True, False]]), 2)):
        with pytest.warns(RuntimeWarning, match="needs tensor values"):
            prof = analytic.profile(MaskedGate(), example_inputs=(ids, mask))
        assert prof.device == "cpu" and prof.total["flops"] == layers * per_layer
    # given as shapes, integer inputs are zeros there (valid indices), and so is the mask: two layers
    with pytest.warns(RuntimeWarning, match="needs tensor values"):
        prof = analytic.profile(MaskedGate(), example_inputs=((1, 3), (1, 3)), dtypes=[torch.long, torch.bool])
    assert prof.total["flops"] == 2 * per_layer
