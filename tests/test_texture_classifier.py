"""The pattern benchmark's crop classifier: its structure view must ignore colour, its colour view must not."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import texture_classifier as tc  # noqa: E402

SIDE, CROP, STEPS = 48, 16, 150


def stripes(colour: torch.Tensor, period: int, generator: torch.Generator) -> torch.Tensor:
    """Horizontal stripes of ``period`` pixels in ``colour`` with a little noise, as uint8 3×H×W."""
    rows = (torch.arange(SIDE) // (period // 2)) % 2
    pattern = rows[:, None].expand(SIDE, SIDE).float()
    picture = colour.view(3, 1, 1) * (0.4 + 0.6 * pattern) + 20 * torch.rand(3, SIDE, SIDE, generator=generator)
    return picture.clamp(0, 255).to(torch.uint8)


def speckle(colour: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Pixel noise (no structure at the crop's scale) in ``colour``, as uint8 3×H×W."""
    picture = colour.view(3, 1, 1) * (0.4 + 0.6 * torch.rand(1, SIDE, SIDE, generator=generator))
    return picture.clamp(0, 255).to(torch.uint8)


def random_colour(generator: torch.Generator) -> torch.Tensor:
    return 60 + 195 * torch.rand(3, generator=generator)


def accuracy(model: tc.CropNet, images: list[list[torch.Tensor]]) -> float:
    pictures, labels = tc.crops(images, 64, CROP, seed=5)
    return float((tc.predict(model, pictures) == labels).float().mean())


def test_structure_view_tells_marks_apart_whatever_their_colour() -> None:
    generator = torch.Generator().manual_seed(0)
    images = [[stripes(random_colour(generator), 8, generator) for _ in range(8)],
              [speckle(random_colour(generator), generator) for _ in range(8)]]
    train, held = tc.split(images)
    model = tc.train(train, CROP, "structure", steps=STEPS)
    assert accuracy(model, held) > 0.9


def test_structure_view_cannot_use_colour_but_colour_view_can() -> None:
    generator = torch.Generator().manual_seed(1)
    red, blue = torch.tensor([220.0, 40.0, 40.0]), torch.tensor([40.0, 40.0, 220.0])
    images = [[speckle(red, generator) for _ in range(8)], [speckle(blue, generator) for _ in range(8)]]
    train, held = tc.split(images)
    assert accuracy(tc.train(train, CROP, "colour", steps=STEPS), held) > 0.9
    assert accuracy(tc.train(train, CROP, "structure", steps=STEPS), held) < 0.75


def test_a_saved_classifier_is_reused_only_for_the_same_settings(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(2)
    images = [[speckle(random_colour(generator), generator) for _ in range(4)] for _ in range(2)]
    path = tmp_path / "classifier.pt"
    first = tc.load_or_train(path, ["a", "b"], images, CROP, "colour", {"data": "x"}, steps=3)
    with torch.no_grad():
        next(first.parameters()).add_(1.0)  # reused means: these very weights come back
    torch.save({"settings": torch.load(path)["settings"], "state": first.state_dict()}, path)
    again = tc.load_or_train(path, ["a", "b"], images, CROP, "colour", {"data": "x"}, steps=3)
    assert all(torch.equal(p, q) for p, q in zip(first.state_dict().values(), again.state_dict().values()))
    other = tc.load_or_train(path, ["a", "b"], images, CROP, "colour", {"data": "y"}, steps=3)
    assert not torch.equal(next(other.parameters()), next(first.parameters()))
    assert torch.load(path)["settings"]["data"] == "y"  # trained afresh and saved over the old one
