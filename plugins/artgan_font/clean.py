"""Clean a glyph picture on the way in: scans, photos of paper, drawings or renders.

1. Grey levels; the ink's polarity is guessed from the border (paper is what touches the
   edge), or given.
2. Uneven lighting of photographed paper is flattened: the paper's brightness is
   estimated with a wide max-filter (ink strokes are thinner than the filter) and divided
   out, then Otsu's threshold (Otsu 1979) splits ink from paper and the coverage keeps a
   soft edge around it.
3. Specks (components under 2 % of the largest, and under 0.05 % of the picture) go.
4. The ink is cropped, then scaled so its height is that of the same character in the
   model's average font, and set on the baseline where that character sits: every input
   shares one baseline, x-height and cap height, whatever its scale on paper.
"""

from __future__ import annotations

from typing import Any

from artgan.errors import ArtganError
from artgan_font.render import BASELINE

DRAWN_SIZE = 256  # pixels per em at which the user's glyphs are kept (and traced)


def ink_coverage(image: Any, invert: bool | None = None) -> Any:
    """A PIL picture → float ink coverage in [0, 1] (1 = ink), lighting flattened and specks removed."""
    import numpy as np
    from PIL import Image, ImageFilter
    from scipy import ndimage

    grey = image.convert("L")
    if max(grey.size) > 1024:  # plenty for one glyph, and bounded work
        grey.thumbnail((1024, 1024), Image.Resampling.LANCZOS)
    array = np.asarray(grey, dtype=np.float32) / 255.0
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    if invert is None:
        invert = float(np.median(border)) < 0.5  # a dark ground: light ink
    if invert:
        array = 1.0 - array
        grey = Image.fromarray(np.rint(array * 255).astype(np.uint8), "L")
    side = max(3, (max(array.shape) // 12) | 1)
    paper = grey.filter(ImageFilter.MaxFilter(min(side, 63))).filter(ImageFilter.GaussianBlur(side / 2))
    paper_level = np.maximum(np.asarray(paper, dtype=np.float32) / 255.0, 1e-3)
    ink = np.clip(1.0 - array / paper_level, 0.0, 1.0)
    if ink.max() - ink.min() < 0.1:
        raise ArtganError("no ink found (the picture is nearly uniform)")
    threshold = _otsu(ink)
    width = max(0.05, min(threshold, 1 - threshold))
    coverage = np.clip((ink - threshold) / (2 * width) + 0.5, 0.0, 1.0)
    labels, count = ndimage.label(coverage >= 0.5)
    if count == 0:
        raise ArtganError("no ink found after thresholding")
    areas = ndimage.sum(np.ones_like(coverage), labels, index=range(1, count + 1))
    keep = [i + 1 for i, a in enumerate(areas) if a >= 0.02 * areas.max() or a >= 0.0005 * coverage.size]
    mask = ndimage.binary_dilation(np.isin(labels, keep), iterations=2)
    return coverage * mask


def _otsu(values: Any) -> float:
    """Otsu's threshold of values in [0, 1] (256 bins)."""
    import numpy as np

    hist, edges = np.histogram(values, bins=256, range=(0, 1))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(hist)
    total = weight[-1]
    mean = np.cumsum(hist * centres)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1)
    return float(np.clip(centres[int(np.argmax(between))], 0.1, 0.9))


def place(coverage: Any, top: float, bottom: float, size: int = DRAWN_SIZE) -> Any:
    """Crop ``coverage`` to its ink and set it in a ``size`` em box between ``top`` and ``bottom``
    (em above the baseline, bottom may be negative), centred across; wider than the box: shrunk to fit."""
    import numpy as np
    from PIL import Image

    rows = np.nonzero((coverage >= 0.5).any(axis=1))[0]
    cols = np.nonzero((coverage >= 0.5).any(axis=0))[0]
    if len(rows) == 0:
        raise ArtganError("no ink found")
    crop = coverage[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height_px = max(1.0, (top - bottom) * size)
    scale = height_px / crop.shape[0]
    width_px = crop.shape[1] * scale
    if width_px > 0.96 * size:
        scale *= 0.96 * size / width_px
    new_w, new_h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    resized = np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize((new_w, new_h), Image.Resampling.LANCZOS))
    box = np.zeros((size, size), dtype=np.float32)
    y0 = int(round(BASELINE * size - bottom * size)) - new_h
    y0 = min(max(0, y0), size - new_h)
    x0 = (size - new_w) // 2
    box[y0 : y0 + new_h, x0 : x0 + new_w] = np.clip(resized, 0, 1)
    return box


def ink_extent(raster: Any) -> tuple[float, float]:
    """Top and bottom of a raster's ink in em above the baseline."""
    import numpy as np

    size = raster.shape[0]
    rows = np.nonzero((np.asarray(raster) >= 0.5).any(axis=1))[0]
    if len(rows) == 0:
        return 0.7, 0.0
    base = BASELINE * size
    return (base - rows[0]) / size, (base - rows[-1] - 1) / size


def downsample(raster: Any, size: int) -> Any:
    """A coverage raster shrunk to ``size`` pixels (area average)."""
    import numpy as np
    from PIL import Image

    return np.array(Image.fromarray(raster.astype(np.float32), "F").resize((size, size), Image.Resampling.BOX))
