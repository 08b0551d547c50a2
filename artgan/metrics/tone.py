"""Tone reversals: whether a translator keeps dark below light on a smooth ramp.

A photo's sky at dusk is a smooth run of blues from dark to light. A translator that maps
brightness to colour non-monotonically draws bands across it (an arc of red across a night
sky, where the ramp crosses the level it maps badly). :func:`ramp_response` feeds a network
smooth vertical ramps and measures, on the answer's luminance averaged over each of
:data:`BANDS` horizontal bands (so a painted texture's row-to-row flicker averages out and
what is left is the picture's tone from top to bottom):

``reversal = 1 − |L_last − L_first| / Σ |L_{i+1} − L_i|``

0 for an answer whose brightness runs one way down the picture (however it is coloured),
towards 1 for one that swings up and down. The ramps are a grey one (black to white) and
three night-sky ones (navy to mid blue, dusk violet to amber, near-black to dark teal), the
dark tones a translator sees least of while training.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

RAMP_SIZE = 256  # side of the ramp pictures
BANDS = 32  # horizontal bands the luminance is averaged over (8 px each at RAMP_SIZE)
#: (top colour, bottom colour) in [-1, 1] RGB: grey black → white, then dark ramps
RAMPS = (
    ((-1.0, -1.0, -1.0), (1.0, 1.0, 1.0)),
    ((-0.92, -0.84, -0.53), (-0.53, -0.14, 0.25)),
    ((-0.75, -0.85, -0.55), (0.45, 0.05, -0.45)),
    ((-0.97, -0.94, -0.92), (-0.75, -0.5, -0.55)),
)
LUMA = (0.299, 0.587, 0.114)  # Rec. 601 weights


def ramp_inputs(size: int = RAMP_SIZE) -> torch.Tensor:
    """The ramp pictures, ``N×3×size×size`` in [-1, 1]: each row one colour, top to bottom
    linearly from the first colour of :data:`RAMPS` to the second."""
    t = torch.linspace(0, 1, size)[None, None, :, None]
    top = torch.tensor([r[0] for r in RAMPS])[:, :, None, None]
    bottom = torch.tensor([r[1] for r in RAMPS])[:, :, None, None]
    return (top + (bottom - top) * t).expand(-1, -1, -1, size).contiguous()


def tone_reversal(images: torch.Tensor) -> torch.Tensor:
    """The reversal figure of the module docstring for each of ``N×3×H×W`` images in [-1, 1]
    whose brightness should run monotonically from top to bottom: ``N`` values in [0, 1]
    (rows past the last whole band are left out)."""
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[-2] < BANDS:
        raise ValueError(f"tone_reversal needs N×3×H×W images at least {BANDS} px high, got {tuple(images.shape)}")
    luma = torch.tensor(LUMA, device=images.device)[None, :, None]
    rows = (images.float().mean(dim=-1) * luma).sum(dim=1)  # N×H: each row's mean luminance
    height = rows.shape[-1] // BANDS * BANDS
    rows = rows[:, :height].reshape(rows.shape[0], BANDS, -1).mean(dim=-1)  # N×BANDS
    steps = rows.diff(dim=-1).abs().sum(dim=-1)
    net = (rows[:, -1] - rows[:, 0]).abs()
    return 1 - net / steps.clamp_min(1e-12)


def ramp_response(translate: Callable[[torch.Tensor], torch.Tensor], size: int = RAMP_SIZE) -> dict[str, float | list[float]]:
    """:func:`tone_reversal` of ``translate``'s answer to each of :func:`ramp_inputs` (fed one at
    a time, ``1×3×size×size``): the grey ramp's, the dark ramps' mean, the largest and each."""
    each = [tone_reversal(translate(ramp[None]).float().cpu()).item() for ramp in ramp_inputs(size)]
    return {"grey": each[0], "dark_mean": sum(each[1:]) / len(each[1:]), "max": max(each), "each": each}
