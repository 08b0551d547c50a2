from dataclasses import dataclass
from typing import Literal, Optional

import pytest

from artgan.config import TrainConfig, apply_overrides, from_dict, render_overrides, to_dict
from artgan.errors import ArtganError


@dataclass
class Model:
    width: int = 8
    lr: float = 1e-3
    name: str = "a"
    flag: bool = False
    widths: tuple[int, ...] = (1, 2)
    pair: tuple[float, float] = (0.5, 0.9)
    limit: Optional[int] = None
    mode: Literal["x", "y"] = "x"
    seed: int = 1  # also a TrainConfig field: bare `seed` is ambiguous


def test_overrides_parse_by_type():
    model, train = apply_overrides(Model(), TrainConfig(), [
        "width=16", "lr=2e-4", "name=hello world", "flag=yes", "widths=[4, 5, 6]", "pair=0.1,0.2",
        "limit=none", "mode=y", "batch_size=3", "train.seed=7", "model.seed=9",
    ])
    assert (model.width, model.lr, model.name, model.flag) == (16, 2e-4, "hello world", True)
    assert model.widths == (4, 5, 6) and model.pair == (0.1, 0.2) and model.limit is None and model.mode == "y"
    assert (train.batch_size, train.seed, model.seed) == (3, 7, 9)


@pytest.mark.parametrize("override, message", [
    ("width=abc", "expected an integer"),
    ("lr=fast", "expected a number"),
    ("flag=maybe", "expected true or false"),
    ("pair=1,2,3", "expected 2 values"),
    ("mode=z", "expected one of x, y"),
    ("widht=3", "did you mean 'width'"),
    ("seed=3", "both model and train"),
    ("model.nope=1", "no model setting"),
    ("justtext", "key=value"),
])
def test_bad_overrides_say_what_is_wrong(override, message):
    with pytest.raises(ArtganError, match=message):
        apply_overrides(Model(), TrainConfig(), [override])


def test_json_round_trip_keeps_types():
    model = Model(widths=(3, 4), pair=(0.0, 1.0), limit=5)
    again = from_dict(Model, to_dict(model))
    assert again == model and isinstance(again.widths, tuple)


def test_from_dict_refuses_unknown_and_ill_typed():
    with pytest.raises(ArtganError, match="unknown setting"):
        from_dict(Model, {"width": 3, "colour": "red"})
    with pytest.raises(ArtganError, match="expected int"):
        from_dict(Model, {"width": "3"})


def test_render_overrides_round_trips():
    values = {"width": 5, "name": "two words", "widths": [7, 8], "flag": True, "limit": None}
    model, _ = apply_overrides(Model(), TrainConfig(), render_overrides(values))
    assert (model.width, model.name, model.widths, model.flag, model.limit) == (5, "two words", (7, 8), True, None)


def test_train_config_validation():
    with pytest.raises(ArtganError, match="batch_size"):
        TrainConfig(batch_size=0).validate()
    with pytest.raises(ArtganError, match="precision"):
        TrainConfig(precision="fp8").validate()
    TrainConfig().validate()


def test_a_setting_added_later_reads_older_stored_configs_with_the_value_they_were_trained_with():
    from artgan.config import setting

    @dataclass
    class Grown:
        width: int = 4
        upsample: str = setting("bilinear", before="nearest")

    assert Grown().upsample == "bilinear", "new configs take the default"
    assert from_dict(Grown, {"width": 4}).upsample == "nearest", "a config stored before the setting existed"
    assert from_dict(Grown, {"width": 4, "upsample": "bilinear"}).upsample == "bilinear"
    assert from_dict(Grown, to_dict(Grown())) == Grown()
