"""Whole models: each peer column of the profile equals the tool's own output on a real forward.

On models whose every operation runs in a module the tools hook (CNNs written with modules, as
torchvision writes them: ResNet, MobileNet, a U-Net with bilinear upsampling, the DCGAN
generator), every column equals its tool: fvcore's ``FlopCountAnalysis`` (``macs``), torch's
``FlopCounterMode`` (``flops``), ptflops' ``get_model_complexity_info`` (its default backend, at
batch 1), thop's ``profile``, torchinfo's ``summary`` and moduleprofiler's ``estimate_ops``.  The
tools are run on the real model; tapcount on the meta device.  Where a tool counts oddly (ptflops
twice for some modules; moduleprofiler one call of a module called several times), the column
reproduces or the test states the measured difference, as the README does.
"""

from collections import Counter

import pytest
import torch

import analytic
from tests import helpers, models

#: CNNs whose every operation runs in a module the tools hook, with an input each (batch 1)
CNNS = {
    "ResNet (BasicBlock, BatchNorm, max and adaptive average pooling)": (models.resnet, (1, 3, 64, 64)),
    "MobileNet (depthwise, ReLU6, hard-swish, squeeze-and-excitation)": (models.mobilenet, (1, 3, 64, 64)),
    "U-Net (instance norm, LeakyReLU, average pooling, bilinear upsampling)": (models.interpolating_unet,
                                                                               (1, 1, 32, 32)),
    "DCGAN generator (ConvTranspose2d, BatchNorm, ReLU, Tanh)": (models.dcgan_generator, (1, 100, 1, 1)),
    # torchinfo charges an nn.Linear on (N, H, W, C) by N, its output's first size, not per position
    "ConvNeXt (channels-last LayerNorm and Linear layers, GELU)": (models.convnext, (1, 3, 64, 64)),
}

TOOLS = {
    "macs": helpers.fvcore_total,
    "flops": helpers.torch_flops,
    "ptflops": helpers.ptflops_total,
    "thop": helpers.thop_total,
    "torchinfo": helpers.torchinfo_total,
    "deepspeed": helpers.deepspeed_total,
}


@pytest.fixture(scope="module", params=list(CNNS))
def cnn(request):
    make, shape = CNNS[request.param]
    model = make()
    return model, shape, analytic.profile(model, shape)


@pytest.mark.parametrize("convention", list(TOOLS))
def test_each_column_equals_its_tool_on_cnns(cnn, convention):
    model, shape, prof = cnn
    assert not prof.uncounted
    assert prof.total[convention] == TOOLS[convention](model, shape)


def test_moduleprofiler_column_equals_moduleprofiler_but_for_the_calls_it_overwrites(cnn):
    # moduleprofiler stores each module's count in an attribute that every call overwrites: a
    # module called several times (ResNet's shared ReLU, the U-Net's one pooling and upsampling
    # module) is counted once, for its last call; tapcount counts every call
    model, shape, prof = cnn
    calls = Counter(r.name for r in prof.rows)
    seen: Counter = Counter()
    overwritten = 0
    for row in prof.rows:
        seen[row.name] += 1
        if seen[row.name] < calls[row.name] and row.name:
            overwritten += row.counts["moduleprofiler"]
    assert prof.total["moduleprofiler"] - overwritten == helpers.moduleprofiler_total(model, shape)


def test_ptflops_counts_some_modules_twice_and_so_does_its_column():
    # ptflops' module hook of nn.ReLU counts the output's elements, and the F.relu it patches, which
    # nn.ReLU calls, counts them again: 2 per element; LeakyReLU calls F.leaky_relu, not patched
    for module, per_element in ((torch.nn.ReLU(), 2), (torch.nn.LeakyReLU(), 1), (torch.nn.MaxPool2d(2), 2),
                                (torch.nn.Upsample(scale_factor=2), 2), (torch.nn.GELU(), 2), (torch.nn.SiLU(), 1)):
        model = torch.nn.Sequential(module)
        shape = (1, 3, 8, 8)
        ours = analytic.profile(model, shape).total["ptflops"]
        assert ours == helpers.ptflops_total(model, shape), module
        counted = 3 * 8 * 8 if not isinstance(module, torch.nn.Upsample) else 3 * 16 * 16
        assert ours == per_element * counted, module


def test_ptflops_averages_its_module_hooks_over_the_batch_but_not_its_functions():
    # at batch N its default backend divides what module hooks count by N, not what its patched
    # functions count; tapcount's column is the whole call (the backend's number at batch 1, times N)
    model = models.resnet()
    one, two = analytic.profile(model, (1, 3, 32, 32)), analytic.profile(model, (2, 3, 32, 32))
    assert two.total["ptflops"] == 2 * one.total["ptflops"] == 2 * helpers.ptflops_total(model, (1, 3, 32, 32))
    assert helpers.ptflops_total(model, (2, 3, 32, 32)) < two.total["ptflops"]


def test_every_test_model_is_counted_whole():
    # every operator of every model of tests/models.py has a formula: nothing is left uncounted
    cases = [(make, shape, None) for make, shape in CNNS.values()] + [
        (models.hifigan_generator_weight_norm, (1, 80, 10), None), (models.melgan_generator, (1, 80, 10), None),
        (models.unet, (1, 1, 32, 32), None), (models.filterbank_decoder, (1, 512, 20), None),
        (models.language_model, (2, 16), [torch.long]), (models.language_model_eager, (2, 16), [torch.long]),
        (models.recurrent, (2, 10, 40), None), (models.spatial_transformer, (2, 1, 28, 28), None)]
    for make, shape, dtypes in cases:
        prof = analytic.profile(make(), shape, dtypes=dtypes)
        assert not prof.uncounted, (make.__name__, prof.uncounted)
        assert prof.total["exact"] > 0


@pytest.mark.parametrize("convention", list(TOOLS))
def test_a_spatial_transformer_equals_every_tool(convention):
    # its sampling runs as functions no module hook sees: fvcore counts its grid sampler (4 per
    # output element, as if bilinear), no other tool counts sampling or the affine grid
    model, shape = models.spatial_transformer(), (1, 1, 28, 28)
    prof = analytic.profile(model, shape)
    assert not prof.uncounted
    assert prof.total[convention] == TOOLS[convention](model, shape)


def test_a_language_model_on_token_ids_equals_torch_counter_where_it_sees_every_kernel():
    ids = torch.zeros(2, 16, dtype=torch.long)
    eager = models.language_model_eager()
    prof = analytic.profile(eager, (2, 16), dtypes=[torch.long])
    assert prof.total["flops"] == helpers.torch_flops(eager, (ids,))
    # with F.scaled_dot_product_attention torch's counter has no formula for the CPU kernel: it
    # misses 4 B H L S E flops of attention per layer, which tapcount counts (as on any device)
    fused = models.language_model()
    prof = analytic.profile(fused, (2, 16), dtypes=[torch.long])
    batch, heads, length, width = 2, 4, 16, 64 // 4
    assert prof.total["flops"] - helpers.torch_flops(fused, (ids,)) == 2 * 4 * batch * heads * length * length * width
    # the causal kernel computes half of the scores the written-out attention computes and masks
    attention = [r for r in prof.rows if "attention" in r.op]
    assert len(attention) == 2 and all(r.counts["exact"] < r.counts["flops"] for r in attention)


def test_an_lstm_model_counts_the_same_on_every_device():
    model = models.recurrent()
    on_meta, on_cpu = analytic.profile(model, (2, 10, 40)), analytic.profile(model, (2, 10, 40), device="cpu")
    assert on_meta.total == on_cpu.total
    # torch's counter sees the steps' matrix products on meta, nothing of the fused CPU kernel
    assert on_cpu.total["flops"] > helpers.torch_flops(model, (2, 10, 40))


def test_a_functional_pooling_is_counted_by_every_tool_that_patches_functions():
    # torchvision's MobileNetV2 and DenseNet pool with F.adaptive_avg_pool2d(x, (1, 1)) in their
    # forward, which torch runs as a mean: fvcore sees the pooling in its trace, ptflops and DeepSpeed
    # patch the function; thop hooks modules only and misses it, its column counts what the hook of
    # nn.AdaptiveAvgPool2d would: int((H W + 1) C) per sample (thop's rule)
    model, shape = models.functional_pooling_head(), (1, 3, 16, 16)  # ptflops: batch 1
    prof = analytic.profile(model, shape)
    assert not prof.uncounted
    for convention, tool in TOOLS.items():
        missed = (8 * 8 + 1) * 8 if convention == "thop" else 0
        assert prof.total[convention] == tool(model, shape) + missed, convention
