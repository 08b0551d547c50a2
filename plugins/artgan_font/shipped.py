"""The presets the font plugin ships (kept apart so the plugin module stays short)."""

from __future__ import annotations

from pathlib import Path

from artgan.plugin import Preset

PRESETS_DIR = Path(__file__).parent / "presets"
PRESETS: tuple[Preset, ...] = (
    Preset(
        tag="latin",
        task="generate",
        path=PRESETS_DIR / "latin",
        sha256="50e8d78a4a0c33c41463e0b6b66fa2713d7057b0bdd2cb1d772204fec598048e",
        licence="OFL-1.1 for the weights (trained on openly licensed fonts: OFL-1.1, Apache-2.0, GPL/AGPL with the "
                "font exception, Bitstream Vera; see MODEL_CARD.md)",
        description="Latin typefaces (A–Z a–z 0–9 punctuation, 64 px): generate a new one, or complete one from 4–10 glyph images",
    ),
)
