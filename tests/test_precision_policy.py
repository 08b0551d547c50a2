"""One precision policy, chosen by the hardware, for training and inference; the ETA line.

The hardware is faked (``hardware.device_facts`` replaced), so these tests pass the same on
AVX2-only CPUs and on CPUs with AVX-512 bf16 / AMX.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
import torch
from click.testing import CliRunner

import artgan
from artgan import checkpoint as ckpt
from artgan.cli import cli
from artgan.engine import hardware
from artgan.engine import runtime as rt
from artgan.engine.progress import format_duration, format_step_time
from artgan.errors import ArtganError
from artgan.plugin import validate_plugin
from conftest import TINY_MLP

AVX2 = hardware.DeviceFacts(type="cpu", name="AMD EPYC 7B13", flags=("avx2",), torch_capability="AVX2",
                            onednn_bf16=False, bf16_native=False)
AVX512_NO_BF16 = hardware.DeviceFacts(type="cpu", name="Intel Xeon Gold 6148", flags=("avx2", "avx512f"),
                                      torch_capability="AVX512", onednn_bf16=True, bf16_native=False)
AVX512_BF16 = hardware.DeviceFacts(type="cpu", name="Intel Xeon Platinum 8380", flags=("avx2", "avx512f", "avx512_bf16"),
                                   torch_capability="AVX512", onednn_bf16=True, bf16_native=True)
AMX = hardware.DeviceFacts(type="cpu", name="Intel Xeon Platinum 8480+",
                           flags=("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"),
                           torch_capability="AVX512", onednn_bf16=True, bf16_native=True)
A100 = hardware.DeviceFacts(type="cuda", name="NVIDIA A100", cuda_capability=(8, 0), bf16_native=True)
V100 = hardware.DeviceFacts(type="cuda", name="Tesla V100", cuda_capability=(7, 0), fp16_fast=True)
P4 = hardware.DeviceFacts(type="cuda", name="Tesla P4", cuda_capability=(6, 1))
MPS = hardware.DeviceFacts(type="mps", name="Apple MPS")

CPU, CUDA, APPLE = torch.device("cpu"), torch.device("cuda", 0), torch.device("mps")


@pytest.fixture
def fake_machine(monkeypatch):
    """``fake_machine(cpu=AVX2, cuda=A100)``: the facts every device reports from now on."""

    def install(cpu: hardware.DeviceFacts = AVX2, cuda: hardware.DeviceFacts = A100) -> None:
        facts = {"cpu": cpu, "cuda": cuda, "mps": MPS}
        monkeypatch.setattr(hardware, "device_facts", lambda device: facts[device.type])

    return install


@pytest.fixture
def artgan_log(monkeypatch, caplog):
    """Records of the ``artgan`` logger (the CLI, once run in-process, stops it propagating)."""
    monkeypatch.setattr(logging.getLogger("artgan"), "propagate", True)
    caplog.set_level(logging.INFO, logger="artgan")
    return caplog


@pytest.mark.parametrize("cpu, cuda, device, expected", [
    (AVX2, A100, CPU, "fp32"),  # bf16 would be emulated, 5-7x slower
    (AVX512_NO_BF16, A100, CPU, "fp32"),  # oneDNN emulates bf16 on plain AVX-512 too
    (AVX512_BF16, A100, CPU, "bf16"),
    (AMX, A100, CPU, "bf16"),
    (AVX2, A100, CUDA, "bf16"),  # compute capability 8.0
    (AVX2, V100, CUDA, "fp16"),  # 7.0: fast fp16, no bf16
    (AVX2, P4, CUDA, "fp32"),  # 6.1: no fast half precision
    (AMX, A100, APPLE, "fp32"),
])
def test_auto_takes_the_fast_path_of_the_device(fake_machine, cpu, cuda, device, expected):
    fake_machine(cpu, cuda)
    choice = rt.choose_precision("auto", device, "bf16")
    assert choice.precision == expected and choice.warning is None
    assert choice.reason.endswith(expected) or "fp16 with loss scaling" in choice.reason
    # a plugin that prefers fp32 gets it everywhere
    assert rt.choose_precision("auto", device, "fp32").precision == "fp32"


def test_the_reasons_say_why(fake_machine):
    fake_machine(AVX2, V100)
    assert rt.choose_precision("auto", CPU, "bf16").reason == "AVX2 only: bf16 would be emulated; fp32"
    assert "loss scaling" in rt.choose_precision("auto", CUDA, "bf16").reason
    assert "loss scaling" not in rt.choose_precision("auto", CUDA, "bf16", training=False).reason
    fake_machine(AMX)
    assert "AMX" in rt.choose_precision("auto", CPU, "bf16").reason


def test_explicit_precision_wins_with_a_warning_when_slow(fake_machine, artgan_log):
    fake_machine(AVX2, V100)
    choice = rt.choose_precision("bf16", CPU, "fp32")
    assert choice.precision == "bf16"
    assert "emulated" in choice.warning and "AVX2 only" in choice.warning and "fp32" in choice.warning
    assert rt.choose_precision("bf16", CUDA).warning  # 7.0 emulates bf16 too
    assert rt.choose_precision("fp32", CPU, "bf16") == rt.PrecisionChoice("fp32", "fp32 as requested")
    runtime = rt.start("cpu", "bf16")
    assert runtime.precision == "bf16"
    assert any(r.levelno == logging.WARNING and "emulated" in r.getMessage() for r in artgan_log.records)
    fake_machine(AMX)
    assert rt.choose_precision("bf16", CPU).warning is None


def test_impossible_precisions_stay_errors(fake_machine):
    fake_machine()
    with pytest.raises(ArtganError, match="fp16 needs a CUDA GPU"):
        rt.choose_precision("fp16", CPU, "bf16")
    with pytest.raises(ArtganError, match="not supported on MPS"):
        rt.choose_precision("bf16", APPLE)
    with pytest.raises(ArtganError, match="unknown precision"):
        rt.choose_precision("fp8", CPU)


def test_inference_uses_the_same_policy(fake_machine):
    fake_machine(AVX2)
    assert rt.inference_precision("auto", "bf16", CPU) == "fp32"
    fake_machine(AVX512_BF16)
    assert rt.inference_precision("auto", "bf16", CPU) == "bf16"
    assert rt.inference_precision("auto", "fp32", CPU) == "fp32"


def test_cpu_facts_read_proc_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
                    "flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n\n"
                    "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\nflags\t\t: fpu\n")
    assert hardware._proc_cpuinfo(info) == ("Intel(R) Xeon(R) Platinum 8480+",
                                            {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
    assert hardware._proc_cpuinfo(tmp_path / "missing") == ("", set())


def test_this_cpu_has_no_native_bf16_without_the_flags():
    facts = hardware.cpu_facts()
    assert facts.type == "cpu" and facts.name and hardware.device_facts(CPU) is facts
    name, flags = hardware._proc_cpuinfo(hardware.Path("/proc/cpuinfo"))
    if name and not {"avx512_bf16", "amx_bf16"} & flags:  # Linux says this CPU has neither
        assert not facts.bf16_native and rt.choose_precision("auto", CPU, "bf16").precision == "fp32"


def test_contract_checks_train_precision():
    from fake_plugins import Good

    plugin = Good()
    assert validate_plugin(plugin) == []
    plugin.train_precision = "fp16"
    assert any("`train_precision` must be 'fp32' or 'bf16'" in p for p in validate_plugin(plugin))


# --------------------------------------------------------------------------- the shipped plugins
CYCLEGAN_TINY = ["width=4", "downsamplings=1", "blocks=1", "d_width=4", "d_layers=1", "crop=16", "scale_min=16",
                 "scale_max=20", "pool_size=2", "batch_size=1", "sample_every=0", "checkpoint_every=0", "log_every=1"]
PATTERN_TINY = ["local_channels=2", "global_channels=2", "embed=2", "widths=[8,8,8,4,4]", "d_widths=[4,8]", "crop=32",
                "max_side=48", "batch_size=2", "sample_every=0", "checkpoint_every=0", "log_every=1"]


def _cyclegan_run(tmp_path, config=()):
    from artgan_cyclegan import plugin

    source = plugin.test_source(tmp_path / "data", plugin.tiny_config())
    final = artgan.train("cyclegan", source, tmp_path / "run", steps=1, config=CYCLEGAN_TINY + list(config),
                         device="cpu", progress=False)
    return ckpt.find_checkpoint(final).meta["train_config"]


def _pattern_run(tmp_path):
    from artgan.images import write_random_images

    for index, name in enumerate(("dots", "stripes")):
        write_random_images(tmp_path / "data" / name, count=2, size=(48, 48), seed=index)
    final = artgan.train("pattern", tmp_path / "data", tmp_path / "run", steps=1, config=PATTERN_TINY, device="cpu",
                         progress=False)
    return ckpt.find_checkpoint(final).meta["train_config"]


def test_cyclegan_trains_in_fp32_on_an_avx2_cpu(fake_machine, tmp_path):
    fake_machine(AVX2)
    saved = _cyclegan_run(tmp_path)
    assert (saved["precision"], saved["channels_last"]) == ("fp32", True)  # channels-last pays in fp32 too


def test_cyclegan_trains_in_bf16_where_native(fake_machine, tmp_path):
    fake_machine(AMX)
    assert _cyclegan_run(tmp_path)["precision"] == "bf16"


def test_explicit_bf16_still_wins_in_training(fake_machine, tmp_path, artgan_log):
    fake_machine(AVX2)
    saved = _cyclegan_run(tmp_path, ["precision=bf16"])
    assert saved["precision"] == "bf16"
    assert any("emulated" in r.getMessage() for r in artgan_log.records if r.levelno == logging.WARNING)


def test_pattern_trains_in_fp32_on_an_avx2_cpu(fake_machine, tmp_path):
    fake_machine(AVX2)
    assert _pattern_run(tmp_path)["precision"] == "fp32"


def test_no_shipped_plugin_forces_a_precision():
    from artgan.registry import discover

    for name, record in discover().items():
        if record.ok and record.first_party:
            assert record.plugin.train_defaults.get("precision", "auto") == "auto", name


# --------------------------------------------------------------------------- artgan info
def test_info_says_what_auto_picks_and_why(fake_machine, monkeypatch):
    monkeypatch.setattr(rt, "select_device", lambda name="auto", local_rank=0: CPU)
    fake_machine(AVX2)
    info = json.loads(CliRunner().invoke(cli, ["info", "--json"]).stdout)
    assert info["cpu"]["name"] == "AMD EPYC 7B13"
    assert info["cpu"]["flags"] == {"avx2": True, "avx512f": False, "avx512_bf16": False, "amx_bf16": False, "amx_tile": False}
    assert info["cpu"]["torch_capability"] == "AVX2"
    pick = info["precision"]
    assert pick["device"] == "cpu" and pick["auto"] == "fp32"
    assert pick["reason"] == "AVX2 only: bf16 would be emulated; fp32"
    assert pick["plugins"]["cyclegan"] == {"training": "fp32", "inference": "fp32"}
    text = CliRunner().invoke(cli, ["info"]).stdout
    assert "AVX2 only: bf16 would be emulated; fp32" in text and "AMD EPYC 7B13" in text

    fake_machine(AMX)
    pick = json.loads(CliRunner().invoke(cli, ["info", "--json"]).stdout)["precision"]
    assert pick["auto"] == "bf16" and "AMX" in pick["reason"]
    assert pick["plugins"]["cyclegan"] == {"training": "bf16", "inference": "bf16"}
    assert pick["plugins"]["mlp"]["training"] == "fp32"  # it does not ask for bf16


# --------------------------------------------------------------------------- the ETA line
ETA = re.compile(r"about [\d.]+ m?s/step: (\d+) more of (\d+) steps ≈ .+ \(fp32 on cpu\)")


def _etas(caplog):
    return [ETA.fullmatch(r.getMessage()) for r in caplog.records if r.getMessage().startswith("about ")]


def test_training_logs_an_eta_after_the_first_steps(tmp_path, artgan_log):
    config = TINY_MLP + ["sample_every=0", "checkpoint_every=0", "precision=fp32"]
    artgan.train("mlp", "builtin:digits", tmp_path / "run", steps=8, config=config, device="cpu", progress=False)
    etas = _etas(artgan_log)
    assert len(etas) == 1 and etas[0] is not None
    assert etas[0].groups() == ("4", "8")  # the warm-up step, then 3 timed ones: 4 left
    assert any(r.getMessage().startswith("training in fp32 on cpu") for r in artgan_log.records)
    artgan_log.clear()
    artgan.train(None, None, tmp_path / "run", steps=16, config=config, resume=True, device="cpu", progress=False)
    etas = _etas(artgan_log)
    assert len(etas) == 1 and etas[0].groups() == ("4", "16")  # counted from the resumed step 8


def test_durations_read_as_people_say_them():
    assert format_duration(31_200) == "8 h 40 min"
    assert format_duration(216_000) == "2 d 12 h"
    assert format_duration(720) == "12 min"
    assert format_duration(42) == "42 s"
    assert (format_step_time(5.2), format_step_time(0.038), format_step_time(0.00041)) == ("5.2 s", "38 ms", "0.41 ms")
