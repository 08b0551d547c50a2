"""Grid artifacts: the share of an image's spectral energy at short periods (2–8 px).

Transposed or strided convolutions can lay a regular pattern over a generator's output (the
"checkerboard artifacts" of Odena, Dumoulin & Olah, Distill 2016), most visible on smooth
areas. :func:`grid_energy` measures it on any picture; :func:`flat_response` feeds a network
flat pictures, where any short-period structure in the answer comes from the network itself.

What :func:`grid_energy` computes, per image ``C×H×W`` in [-1, 1]:

1. each channel minus its mean, times a 2-D Hann window (so the picture's edges, which the
   discrete Fourier transform wraps around, add no false high frequencies);
2. the power spectrum ``|FFT|²``, summed over channels;
3. the share of that power at frequencies with ``|fx| ≥ 1/8`` or ``|fy| ≥ 1/8`` cycles per
   pixel, i.e. a period of 8 px or less (down to 2 px, the Nyquist limit) along either axis.
   The window spreads a pure wave over neighbouring frequencies, so one of exactly 8 px
   counts about 80 %, one of 12 px or more next to nothing.

It lies in [0, 1]: a stripe or checkerboard of period ≤ 8 px scores near 1, a smooth
gradient near 0, white noise about 0.94 (the band's share of the frequency plane); photos
score by their own fine detail (0.07–0.51 on eight of ``../shared/data/photos`` at 512 px). A picture that is flat to within half an
8-bit level (root-mean-square deviation below 1/255 in [-1, 1] units) scores 0: after
quantisation it has no pattern to see.

A translator keeps the pictures' own short-period detail, so the comparison that means
something is its outputs against its inputs (``no higher on the outputs``), and its answer
to flat inputs, which should be near 0 or at least not a grid.

The band's energy also counts brush strokes, which a painter style should add. A grid that
comes from the generator's strides is narrower: it sits exactly on the frequencies k/s
cycles per pixel, for s the total stride (4 for two ×2 stages), locked to the pixel grid.
:func:`stride_peaks` measures that alone: how far the power on those frequencies stands
above the power around them (about 1 for a photo, tens for a visible grid).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

MIN_PERIOD, MAX_PERIOD = 2, 8  # pixels: the band measured (1/8 to 1/2 cycles per pixel)
FLAT_RMS = 1 / 255  # below this RMS deviation (in [-1, 1] units, half an 8-bit level) a picture counts as flat
FLAT_SIZE = 256  # side of the flat test pictures
RIPPLE = 2 / 127.5  # amplitude of their faint smooth variation, in [-1, 1] units: two 8-bit levels
GREYS = (-0.75, -0.25, 0.25, 0.75)  # the grey levels fed to a network, in [-1, 1]
COLOURS = ((0.8, -0.6, -0.6), (-0.6, 0.6, -0.6), (-0.6, -0.4, 0.8), (0.6, 0.4, -0.4), (-0.2, 0.3, 0.8), (0.4, -0.2, 0.2))
# flat colours in [-1, 1] RGB: red, green, blue, ochre, sky blue, dusty pink


def _band(height: int, width: int, device: torch.device) -> torch.Tensor:
    fy = torch.fft.fftfreq(height, device=device).abs()[:, None]
    fx = torch.fft.fftfreq(width, device=device).abs()[None, :]
    return (fy >= 1 / MAX_PERIOD) | (fx >= 1 / MAX_PERIOD)


def grid_energy(images: torch.Tensor) -> torch.Tensor:
    """The share of spectral energy at periods of 2–8 px of each of ``N×C×H×W`` images in
    [-1, 1] (steps in the module docstring): ``N`` values in [0, 1]."""
    if images.dim() != 4 or min(images.shape[-2:]) < 2 * MAX_PERIOD:
        raise ValueError(f"grid_energy needs N×C×H×W images of at least {2 * MAX_PERIOD} px a side, got {tuple(images.shape)}")
    x = images.float()
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    height, width = x.shape[-2:]
    window = torch.outer(torch.hann_window(height, periodic=False, device=x.device),
                         torch.hann_window(width, periodic=False, device=x.device))
    power = torch.fft.fft2(x * window).abs().square().sum(dim=1)  # N×H×W
    total = power.sum(dim=(-2, -1))
    share = (power * _band(height, width, x.device)).sum(dim=(-2, -1)) / total.clamp_min(1e-30)
    flat = x.square().mean(dim=(1, 2, 3)).sqrt() < FLAT_RMS
    return torch.where(flat, torch.zeros_like(share), share)


def stride_peaks(images: torch.Tensor, stride: int = 4) -> torch.Tensor:
    """How far the power of each of ``N×C×H×W`` images at the frequencies ``(ky/stride, kx/stride)``
    cycles per pixel (every pair but (0, 0)) stands above the power around them: the mean over
    those frequencies of the power at the frequency over the median power 2–3 bins away
    (a Hann window spreads a wave on an exact bin over ±1 bin). Images are cropped to sides
    that are multiples of ``stride``, so the frequencies fall on bins. ``N`` values, ≥ 0."""
    if images.dim() != 4 or min(images.shape[-2:]) < 8 * stride:
        raise ValueError(f"stride_peaks needs N×C×H×W images of at least {8 * stride} px a side, got {tuple(images.shape)}")
    height, width = (side // stride * stride for side in images.shape[-2:])
    x = images[..., :height, :width].float()
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    window = torch.outer(torch.hann_window(height, periodic=False, device=x.device),
                         torch.hann_window(width, periodic=False, device=x.device))
    power = torch.fft.fft2(x * window).abs().square().sum(dim=1)  # N×H×W
    ratios = []
    for ky in range(stride):
        for kx in range(stride):
            if ky == kx == 0:
                continue
            y, x0 = ky * height // stride, kx * width // stride
            ring = [power[:, (y + dy) % height, (x0 + dx) % width]
                    for dy in range(-3, 4) for dx in range(-3, 4) if max(abs(dy), abs(dx)) >= 2]
            around = torch.stack(ring, dim=-1).median(dim=-1).values
            ratios.append(power[:, y, x0] / around.clamp_min(1e-30))
    return torch.stack(ratios, dim=-1).mean(dim=-1)


def flat_inputs(size: int = FLAT_SIZE, ripple: float = RIPPLE) -> torch.Tensor:
    """The flat test pictures: the grey levels and colours above, ``N×3×size×size`` in [-1, 1],
    each with a faint smooth variation of ±``ripple`` (a fixed 5×5 random field, bicubically
    enlarged: periods of ``size/4`` px and more, so it has next to no energy at 2–8 px).

    The variation is there because a generator with instance normalisation (the CycleGAN and
    CUT ones) maps an exactly flat picture to an exactly flat answer, which shows nothing of
    how it paints smooth areas; ``ripple=0`` gives the exactly flat pictures.
    """
    import torch.nn.functional as F

    values = [(g, g, g) for g in GREYS] + list(COLOURS)
    flat = torch.tensor(values, dtype=torch.float32)[:, :, None, None].expand(-1, -1, size, size)
    field = torch.rand(1, 1, 5, 5, generator=torch.Generator().manual_seed(0)) * 2 - 1
    smooth = F.interpolate(field, size=(size, size), mode="bicubic", align_corners=True)
    return (flat + ripple * smooth / smooth.abs().max()).contiguous()


def flat_response(translate: Callable[[torch.Tensor], torch.Tensor], size: int = FLAT_SIZE,
                  ripple: float = RIPPLE) -> dict[str, float | list[float]]:
    """:func:`grid_energy` of ``translate``'s answer to each of :func:`flat_inputs` (fed one at a
    time, ``1×3×size×size`` in [-1, 1]; it returns pictures of the same size): the mean, the
    largest, each value, and the mean RMS deviation of the answers in 8-bit levels (how much
    is there at all)."""
    energies, levels = [], []
    for picture in flat_inputs(size, ripple):
        answer = translate(picture[None]).float().cpu()
        energies.append(grid_energy(answer).item())
        levels.append((answer - answer.mean(dim=(-2, -1), keepdim=True)).square().mean().sqrt().item() * 127.5)
    return {"mean": sum(energies) / len(energies), "max": max(energies), "each": energies,
            "rms_levels": sum(levels) / len(levels)}
