"""Training data: every glyph of every font in a folder, each with reference glyphs of its font.

An item is one glyph of one font, its character, and ``refs`` other glyphs of the same font
(the style the encoder reads), so that a batch teaches both "draw character c" and "in
the style of these glyphs". Fonts that have fewer than half the characters are skipped.
"""

from __future__ import annotations

from pathlib import Path

import torch

from artgan.errors import ArtganError
from artgan_font.render import family_of, list_fonts, render_font


class FontGlyphs(torch.utils.data.Dataset):
    """Glyphs of the fonts under ``folder`` at ``resolution`` pixels, for the characters ``chars``."""

    def __init__(self, folder: str | Path, chars: str, resolution: int, refs: int) -> None:
        import numpy as np

        root = Path(folder)
        if not root.is_dir():
            raise ArtganError(f"font data {folder!r} is not a folder; give --data a folder of .ttf/.otf files")
        paths = list_fonts(root)
        if not paths:
            raise ArtganError(f"no .ttf or .otf files under {folder!r}; put some font files there")
        self.chars, self.resolution, self.refs = chars, resolution, refs
        glyphs, present, self.files, self.families = [], [], [], []
        for path in paths:
            try:
                rendered = render_font(path, chars, resolution)
                family = family_of(path)
            except Exception:  # a broken font file is skipped, the others still train
                continue
            if len(rendered) < max(refs + 1, len(chars) // 2):
                continue
            stack = np.zeros((len(chars), resolution, resolution), dtype=np.uint8)
            for index, char in enumerate(chars):
                if char in rendered:
                    stack[index] = rendered[char]
            glyphs.append(stack)
            present.append([char in rendered for char in chars])
            self.files.append(str(path))
            self.families.append(family)
        if not glyphs:
            raise ArtganError(f"none of the {len(paths)} font files under {folder!r} has at least half of the "
                              f"{len(chars)} characters {chars!r}; give fonts with Latin letters and digits")
        self.glyphs = torch.from_numpy(np.stack(glyphs))  # F×C×R×R uint8, ink 255
        self.present = torch.tensor(present, dtype=torch.bool)  # F×C
        self.items = self.present.nonzero().tolist()  # [font, char] pairs
        self.names = list(chars)

    def __len__(self) -> int:
        return len(self.items)

    def image(self, font: int, char: int) -> torch.Tensor:
        """One glyph as ``1×R×R`` float in [-1, 1], ink +1."""
        return self.glyphs[font, char].float().div(127.5).sub(1).unsqueeze(0)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        font, char = self.items[index]
        others = self.present[font].nonzero().flatten()
        others = others[others != char]
        picks = others[torch.randperm(len(others))[: self.refs]]
        return {
            "glyph": self.image(font, char),
            "label": torch.tensor(char),
            "refs": torch.stack([self.image(font, int(c)) for c in picks]),
            "ref_labels": picks.clone(),
            "font": torch.tensor(font),
        }
