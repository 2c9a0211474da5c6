"""Targets from outside: an image's intensity, or a file of points smoothed onto a grid."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

from advplay.core.drawn import DEFAULT_BOUNDS, MAX_CLASSES, DrawnTarget
from advplay.core.errors import ConfigError
from advplay.core.targets.base import TARGETS, Bounds

#: images are downscaled so that their longer side has at most this many cells
MAX_IMAGE_CELLS = 256
#: resolution of the grid points are smoothed onto
POINTS_RESOLUTION = 128


def image_density(path: str | Path, invert: bool = False, max_cells: int = MAX_IMAGE_CELLS) -> np.ndarray:
    """Density (1, H, W) from an image: brightness times alpha (``invert``: darkness times alpha).

    Row 0 of the result is the image's bottom row (y grows upward). The image is downscaled
    (box filter) so its longer side is at most ``max_cells`` and padded to a square grid, so
    the drawing keeps its aspect on the square canvas.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.draft("L", (max_cells, max_cells))  # JPEG: decode at reduced size, fast
            image = image.convert("LA")
            image.thumbnail((max_cells, max_cells), Image.Resampling.BOX)
            pixels = np.asarray(image, dtype=np.float64) / 255.0  # (h, w, 2)
    except (OSError, UnidentifiedImageError, ValueError, EOFError, Image.DecompressionBombError,
            SyntaxError) as error:  # Pillow raises SyntaxError for a broken PNG chunk
        raise ConfigError("image", str(path), f"is not a readable PNG or JPEG image ({error})") from None
    intensity, alpha = pixels[..., 0], pixels[..., 1]
    density = (1.0 - intensity if invert else intensity) * alpha
    return _pad_square(density[::-1])[None]


def _pad_square(grid: np.ndarray) -> np.ndarray:
    height, width = grid.shape
    side = max(height, width)
    square = np.zeros((side, side))
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = grid
    return square


def read_points(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Points (n, 2) and optional integer labels from a ``.npy`` array or a CSV file.

    A CSV may start with a header line; a third column holds class labels.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".npy":
            table = np.load(path, allow_pickle=False)
        else:
            table = _read_csv(path)
        table = np.asarray(table, dtype=np.float64)
    except (OSError, ValueError, UnicodeDecodeError, EOFError) as error:
        raise ConfigError("points", str(path), f"is not a readable .csv or .npy of points ({error})") from None
    if table.ndim != 2 or table.shape[1] not in (2, 3) or len(table) == 0:
        raise ConfigError("points", str(path), f"must hold rows of x, y[, label], not shape {table.shape}")
    if not np.all(np.isfinite(table)):
        raise ConfigError("points", str(path), "holds values that are not finite numbers")
    labels = None
    if table.shape[1] == 3:
        labels = table[:, 2]
        if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= MAX_CLASSES:
            raise ConfigError("points", str(path), f"labels must be whole numbers 0 to {MAX_CLASSES - 1}")
        labels = labels.astype(np.int64)
    return table[:, :2], labels


def _read_csv(path: Path) -> np.ndarray:
    with open(path, encoding="utf-8") as stream:
        first = stream.readline()
    skip = 0 if _is_numeric_row(first) else 1
    with warnings.catch_warnings():  # an empty file warns; it is refused below instead
        warnings.simplefilter("ignore", UserWarning)
        return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)


def _is_numeric_row(line: str) -> bool:
    try:
        [float(cell) for cell in line.split(",")]
        return True
    except ValueError:
        return False


def scott_bandwidth(points: np.ndarray) -> float:
    """Scott's rule for a 2D Gaussian kernel: mean std times n^(-1/6)."""
    return float(np.mean(np.std(points, axis=0)) * len(points) ** (-1 / 6)) or 0.05


def points_density(points: np.ndarray, labels: np.ndarray | None, bandwidth: float | None = None,
                   bounds: Bounds | None = None, resolution: int = POINTS_RESOLUTION):
    """Smooth points onto a grid: per-class histograms blurred by a Gaussian of ``bandwidth``.

    Returns (density (C, H, W), bounds, bandwidth). The bounds default to the points' extent
    padded by 3 bandwidths, made square.
    """
    bandwidth = scott_bandwidth(points) if bandwidth is None else bandwidth
    if not (isinstance(bandwidth, (int, float)) and math.isfinite(bandwidth) and bandwidth > 0):
        raise ConfigError("bandwidth", bandwidth, "must be a number > 0")
    bounds = _square_bounds(points, 3 * bandwidth) if bounds is None else bounds
    classes = 1 if labels is None else int(labels.max()) + 1
    labels = np.zeros(len(points), dtype=np.int64) if labels is None else labels
    x_min, x_max, y_min, y_max = bounds
    density = np.zeros((classes, resolution, resolution))
    for label in range(classes):
        chosen = points[labels == label]
        counts, _, _ = np.histogram2d(chosen[:, 1], chosen[:, 0], bins=resolution,
                                      range=[[y_min, y_max], [x_min, x_max]])
        density[label] = _gaussian_blur(counts, bandwidth / ((x_max - x_min) / resolution))
    return density, bounds, bandwidth


def _square_bounds(points: np.ndarray, margin: float) -> Bounds:
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    centre, half = (low + high) / 2, float(np.max(high - low)) / 2
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def _gaussian_blur(grid: np.ndarray, sigma_cells: float) -> np.ndarray:
    """Separable Gaussian blur with zero padding (mass near the edges leaves the window)."""
    radius = max(1, int(math.ceil(3 * sigma_cells)))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / max(sigma_cells, 1e-6)) ** 2)
    kernel /= kernel.sum()
    blurred = np.apply_along_axis(np.convolve, 0, grid, kernel, mode="same")
    return np.apply_along_axis(np.convolve, 1, blurred, kernel, mode="same")


@TARGETS.register("points", "your own 2D points (.csv or .npy; optional label column), smoothed")
def points(path: str = "", bandwidth: float = 0.0) -> DrawnTarget:
    if not isinstance(path, str) or not path:
        raise ConfigError("path", path, "must name a .csv or .npy file of points")
    data, labels = read_points(path)
    density, bounds, used = points_density(data, labels, bandwidth or None)
    target = DrawnTarget(density, bounds)
    target.bandwidth = used
    return target


@TARGETS.register("image", "a PNG or JPEG image's intensity as density (path, invert)")
def image(path: str = "", invert: bool = False) -> DrawnTarget:
    if not isinstance(path, str) or not path:
        raise ConfigError("path", path, "must name a PNG or JPEG file")
    return DrawnTarget(image_density(path, bool(invert)), DEFAULT_BOUNDS)
