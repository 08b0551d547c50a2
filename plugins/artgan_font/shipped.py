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
        sha256="c5cee80c8b106ba37d84172d927013ae002a7440945bba8d1ec2799b62e637f7",
        licence="OFL-1.1 for the weights (trained on openly licensed fonts: OFL-1.1, Apache-2.0, GPL/AGPL with the "
                "font exception, Bitstream Vera; see MODEL_CARD.md)",
        description="Latin typefaces (A–Z a–z 0–9 punctuation, 64 px): generate a new one, or complete one from 4–10 glyph images",
    ),
)
