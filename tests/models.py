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
    ``torch.istft`` (which has no meta kernel) back to a waveform."""

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
