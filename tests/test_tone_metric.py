"""Tone reversals on smooth ramps: 0 for any answer whose brightness runs one way, high for bands."""

import pytest
import torch

from artgan.metrics.tone import BANDS, ramp_inputs, ramp_response, tone_reversal


def test_ramps_run_one_way_and_a_monotone_recolouring_keeps_them_at_zero():
    ramps = ramp_inputs(64)
    assert ramps.shape == (4, 3, 64, 64) and ramps.min() >= -1 and ramps.max() <= 1
    assert tone_reversal(ramps).max() < 1e-5
    recoloured = torch.stack([ramps[:, 2], ramps[:, 0], ramps[:, 1]], dim=1).tanh()  # channels swapped, a curve
    assert tone_reversal(recoloured).max() < 1e-5


def test_bands_score_high_and_fine_texture_does_not():
    t = torch.linspace(0, 1, 256)[None, None, :, None].expand(1, 3, 256, 256)
    banded = torch.sin(t * 12).clone()  # brightness swings up and down six times over the ramp
    assert tone_reversal(banded).item() > 0.7
    texture = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(0)) * 0.4 - 0.2
    assert tone_reversal((t * 2 - 1) * 0.8 + texture).item() < 0.1, "pixel flicker averages out over a band"
    with pytest.raises(ValueError, match=str(BANDS)):
        tone_reversal(torch.zeros(1, 3, BANDS - 1, 64))


def test_ramp_response_reports_each_ramp():
    answer = ramp_response(lambda x: -x, size=64)  # an inverted picture still runs one way
    assert len(answer["each"]) == 4 and answer["max"] < 1e-5
    worst = ramp_response(lambda x: torch.sin(x * 9), size=64)
    assert worst["max"] > 0.3 and worst["max"] == max(worst["each"])
