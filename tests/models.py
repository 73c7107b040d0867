"""Models for the profile tests, built from published hyper-parameters (factories take no arguments,
so that ``tapcount profile tests/models.py:hifigan_generator`` can import them)."""

import torch
from torch import nn
from torch.nn import functional as F

# HiFi-GAN V1 (Kong et al., 2020): upsample rates 8, 8, 2, 2; kernels 16, 16, 4, 4; 512 initial
# channels halving per stage; multi-receptive-field fusion with kernels 3, 7, 11 and dilations
# 1, 3, 5; 80 mel channels in.
UPSAMPLE_RATES = (8, 8, 2, 2)
UPSAMPLE_KERNELS = (16, 16, 4, 4)
INITIAL_CHANNELS = 512
RESBLOCK_KERNELS = (3, 7, 11)
RESBLOCK_DILATIONS = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
LRELU = 0.1


def _padding(kernel_size, dilation=1):
    return (kernel_size * dilation - dilation) // 2


class ResBlock(nn.Module):
    def __init__(self, channels, kernel_size, dilations):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_padding(kernel_size, d))
            for d in dilations)
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=_padding(kernel_size)) for _ in dilations)

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            x = x + c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU)), LRELU))
        return x


class Generator(nn.Module):
    def __init__(self, mel_channels=80):
        super().__init__()
        self.conv_pre = nn.Conv1d(mel_channels, INITIAL_CHANNELS, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        channels = INITIAL_CHANNELS
        for rate, kernel in zip(UPSAMPLE_RATES, UPSAMPLE_KERNELS, strict=True):
            self.ups.append(nn.ConvTranspose1d(channels, channels // 2, kernel, rate, padding=(kernel - rate) // 2))
            channels //= 2
            for k, d in zip(RESBLOCK_KERNELS, RESBLOCK_DILATIONS, strict=True):
                self.resblocks.append(ResBlock(channels, k, d))
        self.conv_post = nn.Conv1d(channels, 1, 7, padding=3)
        self.blocks_per_stage = len(RESBLOCK_KERNELS)

    def forward(self, x):
        x = self.conv_pre(x)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU))
            blocks = self.resblocks[i * self.blocks_per_stage:(i + 1) * self.blocks_per_stage]
            x = sum(block(x) for block in blocks) / self.blocks_per_stage
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def hifigan_generator():
    torch.manual_seed(0)
    return Generator()


def hifigan_generator_weight_norm():
    """The generator as published: every convolution under weight normalisation."""
    model = hifigan_generator()
    for module in list(model.modules()):
        if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
            torch.nn.utils.parametrizations.weight_norm(module)
    return model


class TwoInputs(nn.Module):
    """Two inputs, a 2-d transposed convolution called twice, and an output_size override."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
        self.up1d = nn.ConvTranspose1d(3, 3, 4, stride=2, padding=1, groups=3, bias=False)
        self.act = nn.ReLU()

    def forward(self, image, signal):
        a = self.up(image)
        b = self.up(image, output_size=(2 * image.shape[-2], 2 * image.shape[-1]))
        return self.act(a).sum() + b.sum() + self.up1d(signal).sum()


def two_inputs():
    return TwoInputs()


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose1d(2, 2, 3)

    def forward(self, x):
        return self.up(x).view(-1, 7, 7)  # fails for most shapes


def broken():
    return Broken()


def not_a_model():
    return 42


# MelGAN (Kumar et al., 2019): ngf 32, upsampling ratios 8, 8, 2, 2, residual stacks of three
# dilated (1, 3, 9) convolutions behind reflection padding, on 80 mel channels.
MELGAN_RATIOS = (8, 8, 2, 2)


class MelGANResidual(nn.Module):
    def __init__(self, channels, dilation):
        super().__init__()
        self.block = nn.Sequential(
            nn.LeakyReLU(0.2), nn.ReflectionPad1d(dilation), nn.Conv1d(channels, channels, 3, dilation=dilation),
            nn.LeakyReLU(0.2), nn.Conv1d(channels, channels, 1))
        self.shortcut = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)


def melgan_generator():
    torch.manual_seed(0)
    channels = 32 * 2 ** len(MELGAN_RATIOS)
    layers = [nn.ReflectionPad1d(3), nn.Conv1d(80, channels, 7)]
    for r in MELGAN_RATIOS:
        layers += [nn.LeakyReLU(0.2),
                   nn.ConvTranspose1d(channels, channels // 2, 2 * r, stride=r, padding=r // 2 + r % 2,
                                      output_padding=r % 2)]
        channels //= 2
        layers += [MelGANResidual(channels, 3**j) for j in range(3)]
    layers += [nn.LeakyReLU(0.2), nn.ReflectionPad1d(3), nn.Conv1d(channels, 1, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def dcgan_generator():
    """DCGAN's generator (Radford et al., 2016; the PyTorch example): nz 100, ngf 64, 3 colours,
    64 x 64 images from a (N, 100, 1, 1) code."""
    torch.manual_seed(0)
    nz, ngf = 100, 64
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh()).eval()


class UNet(nn.Module):
    """U-Net (Ronneberger et al., 2015): 64 channels doubling over four poolings, two 3 x 3
    convolutions per level (padded, as in most reimplementations), 2 x 2 up-convolutions
    (``ConvTranspose2d``), a 1 x 1 output convolution."""

    def __init__(self, in_channels=1, classes=2, base=64, depth=4):
        super().__init__()

        def double(c_in, c_out):
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU(inplace=True))

        widths = [base * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList([double(in_channels, widths[0])]
                                  + [double(widths[i], widths[i + 1]) for i in range(depth)])
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
                                for i in reversed(range(depth)))
        self.merge = nn.ModuleList(double(2 * widths[i], widths[i]) for i in reversed(range(depth)))
        self.out = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1]), strict=True):
            x = merge(torch.cat([skip, up(x)], dim=1))
        return self.out(x)


def unet():
    torch.manual_seed(0)
    return UNet()


class CausalConvTranspose1d(nn.ConvTranspose1d):
    """A transposed convolution that trims its output to stay causal (a subclass, as in streaming
    decoders)."""

    def forward(self, x, output_size=None):
        y = super().forward(x, output_size)
        return y[..., : -(self.kernel_size[0] - self.stride[0])]


class FilterbankDecoder(nn.Module):
    """Conv-TasNet's decoder (Luo and Mesgarani, 2019: N = 512 basis filters of L = 16 samples,
    stride 8) built on ``F.conv_transpose1d``, beside a causal, trimming subclass of the layer."""

    def __init__(self, basis=512, length=16):
        super().__init__()
        self.basis = nn.Parameter(torch.randn(basis, 1, length))
        self.causal = CausalConvTranspose1d(basis, 1, length, stride=length // 2)

    def forward(self, mixture_weights):
        decoded = F.conv_transpose1d(mixture_weights, self.basis, stride=self.basis.shape[-1] // 2)
        return decoded[..., : self.causal(mixture_weights).shape[-1]]


def filterbank_decoder():
    torch.manual_seed(0)
    return FilterbankDecoder()


class SpectrogramMasker(nn.Module):
    """A spectrogram-domain enhancer: a 2-d convolutional mask on the real and imaginary parts, then
    ``torch.istft`` back to a waveform (on the meta device torch's own ``istft`` stops at its check
    of the window's values)."""

    def __init__(self, n_fft=512, hop=128):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.mask = nn.Conv2d(2, 2, 3, padding=1)
        self.register_buffer("window", torch.hann_window(n_fft))

    def forward(self, spec):
        masked = spec * torch.sigmoid(self.mask(spec))
        complex_spec = torch.complex(masked[:, 0], masked[:, 1])
        return torch.istft(complex_spec, self.n_fft, self.hop, window=self.window)


def spectrogram_masker():
    torch.manual_seed(0)
    return SpectrogramMasker()


class SpatialTransformer(nn.Module):
    """A spatial transformer (Jaderberg et al., 2015): a localisation network predicts an affine
    map per image, ``F.affine_grid`` makes its sampling grid, ``F.grid_sample`` resamples the image
    there, and a small classifier follows."""

    def __init__(self, size=28):
        super().__init__()
        reduced = ((size - 4) // 2 - 4) // 2
        self.localisation = nn.Sequential(nn.Conv2d(1, 8, 5), nn.MaxPool2d(2), nn.ReLU(), nn.Conv2d(8, 10, 5),
                                          nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(10 * reduced**2, 6))
        self.classifier = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Linear(4, 10))

    def forward(self, x):
        theta = self.localisation(x).view(-1, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return self.classifier(F.grid_sample(x, grid, align_corners=False))


def spatial_transformer():
    torch.manual_seed(0)
    return SpatialTransformer().eval()


class FrameSelector(nn.Module):
    """Keeps the frames whose energy exceeds the mean (a boolean index: how many depends on the
    values, which the meta device does not have), then mixes the channels of the kept frames."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3, padding=1)
        self.out = nn.Conv1d(8, 8, 1)

    def forward(self, x):
        y = self.conv(x)
        energy = y.pow(2).mean(1)
        return self.out(y[:, :, energy[0] > energy.mean()])


def frame_selector():
    torch.manual_seed(0)
    return FrameSelector()


class EnergyGate(nn.Module):
    """Runs its second layer only where the signal is loud enough: a Python branch on a tensor's
    value (``Tensor.item()``, which the meta device cannot answer)."""

    def __init__(self, threshold=0.1):
        super().__init__()
        self.threshold = threshold
        self.conv = nn.Conv1d(4, 8, 3, padding=1)
        self.out = nn.Conv1d(8, 8, 1)

    def forward(self, x):
        y = self.conv(x)
        if y.pow(2).mean() > self.threshold:
            y = self.out(y)
        return y


def energy_gate():
    torch.manual_seed(0)
    return EnergyGate()


@torch.jit.script
def snake(x, alpha):
    """The Snake activation (Ziyin et al., 2020) as DAC's codec scripts it: x + sin²(αx)/α."""
    shape = x.shape
    x = x.reshape(shape[0], shape[1], -1)
    x = x + (alpha + 1e-9).reciprocal() * torch.sin(alpha * x).pow(2)
    return x.reshape(shape)


class SnakeEncoder(nn.Module):
    """A DAC-style codec encoder block: a strided convolution, the scripted Snake activation, a
    dilated residual convolution."""

    def __init__(self, channels=8):
        super().__init__()
        self.down = nn.Conv1d(1, channels, 8, stride=4, padding=2)
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))
        self.residual = nn.Conv1d(channels, channels, 3, padding=3, dilation=3)

    def forward(self, x):
        y = snake(self.down(x), self.alpha)
        return y + self.residual(snake(y, self.alpha))


def snake_encoder():
    torch.manual_seed(0)
    return SnakeEncoder()


class BasicBlock(nn.Module):
    """ResNet's basic block (He et al., 2016): two 3 x 3 convolutions with batch norm, a ReLU
    between and after the residual sum, a strided 1 x 1 projection where the shape changes."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
                           if stride != 1 or c_in != c_out else None)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet-18's layout (a 7 x 7 stem with max pooling, four stages of two basic blocks, global
    average pooling, a linear classifier), at a quarter of its widths."""

    def __init__(self, widths=(16, 32, 64, 128), blocks=(2, 2, 2, 2), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, c_in = [], widths[0]
        for i, (width, count) in enumerate(zip(widths, blocks, strict=True)):
            stages.append(nn.Sequential(*(BasicBlock(c_in if j == 0 else width, width, 2 if i and j == 0 else 1)
                                          for j in range(count))))
            c_in = width
        self.layers = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[-1], classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.avgpool(self.layers(x))
        return self.fc(torch.flatten(x, 1))


def resnet():
    torch.manual_seed(0)
    return ResNet().eval()


class InvertedResidual(nn.Module):
    """MobileNetV2's block (Sandler et al., 2018): a 1 x 1 expansion, a 3 x 3 depthwise convolution,
    a linear 1 x 1 projection, batch norm and ReLU6 between, a residual sum where shapes allow; with
    ``squeeze`` a MobileNetV3 squeeze-and-excitation (Howard et al., 2019) with hard-sigmoid gates
    and hard-swish activations."""

    def __init__(self, c_in, c_out, stride, expand, squeeze=False):
        super().__init__()
        hidden = c_in * expand
        act = nn.Hardswish if squeeze else nn.ReLU6
        layers = [] if expand == 1 else [nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), act()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), act()]
        self.expand = nn.Sequential(*layers)
        self.squeeze = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(hidden, hidden // 4, 1), nn.ReLU(),
                                     nn.Conv2d(hidden // 4, hidden, 1), nn.Hardsigmoid()) if squeeze else None
        self.project = nn.Sequential(nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        y = self.expand(x)
        if self.squeeze is not None:
            y = y * self.squeeze(y)
        y = self.project(y)
        return x + y if self.residual else y


#: MobileNetV2's layout (Sandler et al., 2018, table 2): expansion, output channels, blocks, stride
MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))


class MobileNet(nn.Module):
    """MobileNetV2's structure: a strided 3 x 3 stem, inverted residual blocks by ``settings``
    (expansion, channels, blocks, stride of each stage; the last stage with V3's
    squeeze-and-excitation when ``squeeze_last``), a 1 x 1 convolution to ``last`` channels (none if
    ``None``), global pooling, dropout and a linear classifier.  By default a reduced width
    (32 -> 16 -> 24 -> 32 channels); :func:`mobilenet_v2` is the published one."""

    def __init__(self, settings=((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 1, 2)), last=None, classes=10,
                 squeeze_last=True):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6(inplace=True))
        blocks, c_in = [], 32
        for stage, (expand, c_out, count, stride) in enumerate(settings):
            squeeze = squeeze_last and stage == len(settings) - 1
            for j in range(count):
                blocks.append(InvertedResidual(c_in, c_out, stride if j == 0 else 1, expand, squeeze=squeeze))
                c_in = c_out
        if last is not None:
            blocks.append(nn.Sequential(nn.Conv2d(c_in, last, 1, bias=False), nn.BatchNorm2d(last),
                                        nn.ReLU6(inplace=True)))
            c_in = last
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(c_in, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


def mobilenet():
    torch.manual_seed(0)
    return MobileNet().eval()


def mobilenet_v2():
    """MobileNetV2 at its published width (3.4 M parameters, 1000 classes)."""
    torch.manual_seed(0)
    return MobileNet(MOBILENET_V2, last=1280, classes=1000, squeeze_last=False).eval()


class InterpolatingUNet(nn.Module):
    """A U-Net whose decoder upsamples by bilinear interpolation (``nn.Upsample``, as in most
    segmentation and diffusion decoders) instead of transposed convolutions, with instance norm
    and LeakyReLU in its blocks and an average-pooled encoder."""

    def __init__(self, base=8, depth=3):
        super().__init__()

        def block(c_in, c_out):
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.InstanceNorm2d(c_out, affine=True),
                                 nn.LeakyReLU(0.2))

        widths = [base * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList([block(1, widths[0])] + [block(widths[i], widths[i + 1]) for i in range(depth)])
        self.pool = nn.AvgPool2d((2, 2))  # a pair: moduleprofiler 0.0.4 fails on an int kernel_size
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.merge = nn.ModuleList(block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth)))
        self.out = nn.Sequential(nn.Conv2d(widths[0], 1, 1), nn.Sigmoid())

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        for merge, skip in zip(self.merge, reversed(skips[:-1]), strict=True):
            x = merge(torch.cat([skip, self.up(x)], dim=1))
        return self.out(x)


def interpolating_unet():
    torch.manual_seed(0)
    return InterpolatingUNet().eval()


class TransformerBlock(nn.Module):
    """A GPT-2 block (Radford et al., 2019): pre-norm causal self-attention and a GELU MLP of four
    times the width, each with a residual sum.  ``fused`` runs the attention through
    ``F.scaled_dot_product_attention``, otherwise as written out (scores, mask, softmax)."""

    def __init__(self, width, heads, fused):
        super().__init__()
        self.heads, self.fused = heads, fused
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def attention(self, x):
        b, t, w = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            scores = q @ k.transpose(-2, -1) / (w // self.heads) ** 0.5
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
            y = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, w))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class LanguageModel(nn.Module):
    """A GPT-2-style language model on token ids: token and position embeddings, transformer
    blocks, a final layer norm and a linear head over the vocabulary (at reduced sizes)."""

    def __init__(self, vocab=500, width=64, heads=4, layers=2, context=128, fused=True):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(TransformerBlock(width, heads, fused) for _ in range(layers))
        self.ln, self.head = nn.LayerNorm(width), nn.Linear(width, vocab, bias=False)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1], device=ids.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


class MaskedAttentionLM(nn.Module):
    """A nanoGPT-style language model: its causal mask a buffer of ``block_size``², sliced to the
    sequence (at a longer sequence the slice stays ``block_size`` long and the forward fails)."""

    def __init__(self, vocab=300, width=32, heads=2, block_size=96):
        super().__init__()
        self.block_size, self.heads = block_size, heads
        self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(block_size, width)
        self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.head = nn.Linear(width, vocab, bias=False)
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))

    def forward(self, ids):
        b, t = ids.shape
        x = self.tokens(ids) + self.positions(torch.arange(t, device=ids.device))
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) * k.shape[-1] ** -0.5
        att = att.masked_fill(self.bias[:, :, :t, :t] == 0, float("-inf")).softmax(-1)
        return self.head(x + self.proj((att @ v).transpose(1, 2).reshape(b, t, -1)))


def masked_attention_lm():
    torch.manual_seed(0)
    return MaskedAttentionLM().eval()


def language_model():
    torch.manual_seed(0)
    return LanguageModel().eval()


def language_model_eager():
    torch.manual_seed(0)
    return LanguageModel(fused=False).eval()


class Recurrent(nn.Module):
    """A two-layer bidirectional LSTM over frames of features (a speech or tagging encoder),
    then a linear layer per frame."""

    def __init__(self, features=40, hidden=64, classes=20):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        return self.out(self.lstm(x)[0])


def recurrent():
    torch.manual_seed(0)
    return Recurrent().eval()


class SelfAttention(nn.Module):
    """Multi-head self-attention as in a transformer block (Vaswani et al., 2017): projections,
    ``F.scaled_dot_product_attention``, output projection."""

    def __init__(self, width=32, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x):
        b, t, w = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.out(y.transpose(1, 2).reshape(b, t, w))


class ConditionedVocoder(nn.Module):
    """A sample-level vocoder conditioned on a mel spectrogram, as WaveRNN (Kalchbrenner et al.,
    2018): F frames repeated ``hop`` times each and cropped by ``crop`` samples at both ends give
    one conditioning vector per sample of the audio input, whose length must therefore be
    ``hop*F - 2*crop``."""

    def __init__(self, mels=8, hidden=16, hop=16, crop=16):
        super().__init__()
        self.hop, self.crop = hop, crop
        self.condition = nn.Conv1d(mels, hidden, 3, padding=1)
        self.audio = nn.Conv1d(1, hidden, 1)
        self.out = nn.Conv1d(hidden, 1, 1)

    def forward(self, mel, audio):
        upsampled = F.interpolate(self.condition(mel), scale_factor=self.hop)[:, :, self.crop:-self.crop]
        return self.out(torch.tanh(upsampled + self.audio(audio)))


def conditioned_vocoder():
    torch.manual_seed(0)
    return ConditionedVocoder().eval()


class ChannelsLastNorm(nn.Module):
    """ConvNeXt's layer norm of a ``(N, C, H, W)`` tensor over its channels: moved channels-last,
    an ``nn.LayerNorm``, moved back."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-6)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block (Liu et al., 2022): a 7 x 7 depthwise convolution, then channels-last a layer
    norm and two ``nn.Linear`` layers (4x expansion, GELU) applied at every position, a residual sum."""

    def __init__(self, channels):
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 7, padding=3, groups=channels)
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        self.expand, self.act, self.project = nn.Linear(channels, 4 * channels), nn.GELU(), nn.Linear(4 * channels,
                                                                                                     channels)

    def forward(self, x):
        y = self.norm(self.depthwise(x).permute(0, 2, 3, 1))
        return x + self.project(self.act(self.expand(y))).permute(0, 3, 1, 2)


class ConvNeXt(nn.Module):
    """ConvNeXt's structure at a reduced width: a 4 x 4 stride-4 stem and layer norm, stages of
    blocks with a layer norm and a 2 x 2 stride-2 convolution between them, global pooling, a layer
    norm and a linear classifier."""

    def __init__(self, widths=(16, 32), depths=(1, 1), classes=10):
        super().__init__()
        layers: list = [nn.Conv2d(3, widths[0], 4, stride=4), ChannelsLastNorm(widths[0])]
        for stage, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            if stage:
                layers += [ChannelsLastNorm(widths[stage - 1]), nn.Conv2d(widths[stage - 1], width, 2, stride=2)]
            layers += [ConvNeXtBlock(width) for _ in range(depth)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.LayerNorm(widths[-1], eps=1e-6), nn.Linear(widths[-1], classes))

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


def convnext():
    torch.manual_seed(0)
    return ConvNeXt().eval()


class FunctionalPoolingHead(nn.Module):
    """torchvision's MobileNetV2 and DenseNet head: the features pooled by ``F.adaptive_avg_pool2d``
    in the forward (no pooling module), flattened, a linear classifier."""

    def __init__(self, channels=8, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, channels, 3, 2, 1), nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(channels, classes)

    def forward(self, x):
        pooled = torch.nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(pooled, 1))


def functional_pooling_head():
    torch.manual_seed(0)
    return FunctionalPoolingHead().eval()


class MixtureOfExperts(nn.Module):
    """A sparse mixture-of-experts feed-forward layer as Mixtral's (Jiang et al., 2024) runs in
    transformers: a linear router, a softmax, each token's top ``k`` experts and their weights
    renormalised; the tokens sorted by expert, counted per expert (``torch.histc``), and each
    expert's SwiGLU applied to its tokens by grouped matrix products (``F.grouped_mm``); the
    results weighted and added back per token (``index_add``)."""

    def __init__(self, width=16, hidden=32, experts=4, k=2):
        super().__init__()
        self.experts, self.k = experts, k
        self.router = nn.Linear(width, experts, bias=False)
        self.gate_up = nn.Parameter(torch.randn(experts, width, 2 * hidden) / width ** 0.5)
        self.down = nn.Parameter(torch.randn(experts, hidden, width) / hidden ** 0.5)

    def forward(self, x):
        tokens = x.reshape(-1, x.shape[-1])
        weights, chosen = torch.topk(torch.softmax(self.router(tokens), dim=-1), self.k, dim=-1)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        order = torch.argsort(chosen.reshape(-1), stable=True)
        per_expert = torch.histc(chosen.reshape(-1).float(), bins=self.experts, min=0, max=self.experts - 1)
        ends = torch.cumsum(per_expert, 0).to(torch.int32)
        rows = tokens[order // self.k]
        gate, up = torch.nn.functional.grouped_mm(rows, self.gate_up, offs=ends).chunk(2, dim=-1)
        out = torch.nn.functional.grouped_mm(torch.nn.functional.silu(gate) * up, self.down, offs=ends)
        out = out * weights.reshape(-1)[order, None]
        return torch.zeros_like(tokens).index_add(0, order // self.k, out).reshape(x.shape)


def mixture_of_experts():
    torch.manual_seed(0)
    return MixtureOfExperts().eval()
