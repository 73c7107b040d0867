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
