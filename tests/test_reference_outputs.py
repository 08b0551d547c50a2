"""Every shipped model gives the outputs it gave before the verb refactor (fixed seeds, fp32).

``tests/data/reference_outputs.safetensors`` was written by the 0.1 code (``Model.generate``,
``Model.interpolate`` and ``stylize_image``) on the same seeds and inputs, in float16. A model
retrained since has its entry rewritten from its new weights when it ships (``mlp.digits``:
step 24,000 of a 40k-step schedule with dropout in D and EMA 50 kimg; the four ``cyclegan`` styles: the lighter generator
trained on ``benchmarks/splits/paintings-train/``, ``vangogh`` (cycle λ 7.5) and ``ukiyoe`` with bilinear upsampling; ``pattern.textures``: step 9,000 with bilinear upsampling on the regrouped
classes of ``benchmarks/splits/textures/``).
"""

from pathlib import Path

import pytest
from PIL import Image
from safetensors.torch import load_file

import artgan
from artgan.images import to_tensor

DATA = Path(__file__).parent / "data"
REFERENCE = load_file(str(DATA / "reference_outputs.safetensors"))
ATOL = 2e-3  # the references are stored in float16 (steps of 1/1024 near ±1)


def _close(name, tensor, atol=ATOL):
    expected = REFERENCE[name].float()
    assert tensor.shape == expected.shape, name
    assert (tensor.float() - expected).abs().max() <= atol, f"{name} changed"


def test_mlp_digits():
    model = artgan.load("mlp.digits", device="cpu", precision="fp32")
    _close("mlp.digits", model.generate(n=6, seed=11).pixels)


@pytest.mark.parametrize("tag", ["textures", "canvas"])
def test_pattern(tag):
    model = artgan.load(f"pattern.{tag}", device="cpu", precision="fp32")
    labels = model.labels
    _close(f"pattern.{tag}/random", model.generate(n=2, seed=3, size=48).pixels)
    _close(f"pattern.{tag}/label1", model.generate(n=2, seed=4, label=labels[1], size=(64, 32), tileable=True).pixels)
    _close(f"pattern.{tag}/mix", model.generate(n=1, seed=5, mix={labels[0]: 0.5, labels[2]: 0.5}, size=32).pixels)
    _close(f"pattern.{tag}/interp", model.generate(seed=6, interpolate=9, frames=3, label=labels[0], size=32).pixels)


@pytest.mark.parametrize("tag", ["vangogh", "monet", "ukiyoe", "cezanne"])
def test_cyclegan(tag):
    model = artgan.load(f"cyclegan.{tag}", device="cpu", precision="fp32")
    photo = Image.open(DATA / "reference_photo.png")
    # 8-bit pictures: allow one level of rounding difference
    _close(f"cyclegan.{tag}", model.stylize(photo).pixels[0], atol=1 / 127.5 + ATOL)
    _close(f"cyclegan.{tag}/strength", model.stylize(photo, strength=0.5, preserve_color=True).pixels[0], atol=1 / 127.5 + ATOL)
    assert to_tensor(photo).shape[-2:] == (64, 80)
