"""Shape targets: moons, swiss roll, spirals, checkerboard, circles, banana, pinwheel, line, square.

Each target is a factory registered in ``TARGETS`` whose keyword parameters (numbers or
lists, so a TOML file can set them) are validated and raise
:class:`~advplay.core.errors.ConfigError` naming the bad one. Only ``uniform_square``,
``checkerboard`` and ``banana`` have closed-form densities; the others only sample.
"""

from __future__ import annotations

import numpy as np

from advplay.core.errors import ConfigError
from advplay.core.targets.base import TARGETS, Bounds, Target, positive

_LOG_2PI = float(np.log(2 * np.pi))


def _number(name: str, value, low: float = -np.inf, high: float = np.inf,
            open_low: bool = False) -> float:
    """``value`` as a float in [low, high] (or (low, high] with ``open_low``), else ConfigError."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and np.isfinite(value)
    if not ok or not (low < value if open_low else low <= value) or value > high:
        if open_low:
            text = f"must be a number > {low:g} and <= {high:g}"
        elif high == np.inf:
            text = "must be a finite number" if low == -np.inf else f"must be a number >= {low:g}"
        else:
            text = f"must be a number from {low:g} to {high:g}"
        raise ConfigError(name, value, text)
    return float(value)


def _non_negative(name: str, value) -> float:
    return _number(name, value, 0.0)


def _whole(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, value, f"must be a whole number from {low} to {high}")
    return value


def _point(name: str, value) -> np.ndarray:
    if not isinstance(value, (list, tuple)) or len(value) != 2 \
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value) \
            or not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise ConfigError(name, value, "must be a point [x, y] of two finite numbers")
    return np.asarray(value, dtype=np.float64)  # (2,)


def _square(low: np.ndarray, high: np.ndarray, pad: float = 0.05) -> Bounds:
    """The square window around the box [low, high] (each (2,)), grown by ``pad`` of its side."""
    centre = (low + high) / 2
    half = float(np.max(high - low)) / 2 * (1 + 2 * pad)
    return (float(centre[0] - half), float(centre[0] + half),
            float(centre[1] - half), float(centre[1] + half))


def _rotate(points: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Rotate each point (n, 2) counter-clockwise by its angle (n,) or one shared angle."""
    cos, sin = np.cos(angles), np.sin(angles)
    return np.stack([cos * points[:, 0] - sin * points[:, 1],
                     sin * points[:, 0] + cos * points[:, 1]], axis=1)


def _points(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(-1, 2)  # (n, 2)


class TwoMoons(Target):
    """Two interleaved half circles of radius 1 plus isotropic Gaussian noise.

    The shape of scikit-learn's ``make_moons``: the upper moon is ``(cos t, sin t)``, the
    lower ``(1 - cos t, 0.5 - sin t)`` with ``t ~ U(0, pi)``; label = moon. Centred at 0.
    """

    n_classes = 2

    def __init__(self, noise: float):
        self.noise = noise
        reach = 4 * noise
        self.bounds = _square(np.array([-1.5 - reach, -0.75 - reach]),
                              np.array([1.5 + reach, 0.75 + reach]))

    def sample(self, n, rng):
        labels = rng.integers(0, 2, size=n).astype(np.int64)  # (n,)
        t = rng.uniform(0.0, np.pi, size=n)
        upper = np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
        lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        points = np.where(labels[:, None] == 0, upper, lower) - np.array([0.5, 0.25])
        return points + self.noise * rng.standard_normal((n, 2)), labels


class SwissRoll(Target):
    """A 2D swiss roll: ``scale * t * (cos t, sin t)``, ``t ~ U(1.5 pi, 1.5 pi + 2 pi turns)``.

    scikit-learn's ``make_swiss_roll`` projected on its (x, z) plane, as in the FFJORD toy
    data (there divided by 5, hence the default ``scale = 0.2``).
    """

    def __init__(self, noise: float, turns: float, scale: float):
        self.noise, self.scale = noise, scale
        self.t_range = (1.5 * np.pi, 1.5 * np.pi + 2 * np.pi * turns)
        reach = scale * self.t_range[1] + 4 * noise
        self.bounds = _square(np.array([-reach, -reach]), np.array([reach, reach]))

    def sample(self, n, rng):
        t = rng.uniform(*self.t_range, size=n)  # (n,)
        points = self.scale * t[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
        return points + self.noise * rng.standard_normal((n, 2)), None


class Spiral(Target):
    """``n_arms`` interleaved Archimedean spiral arms from the origin; label = arm.

    Like FFJORD's "2spirals": the radius along an arm is ``radius * sqrt(u)``, ``u ~ U(0, 1)``
    (so points spread roughly evenly along the arm), the angle grows ``2 pi turns`` from
    centre to tip, and arm ``k`` is rotated by ``2 pi k / n_arms``.
    """

    def __init__(self, n_arms: int, turns: float, radius: float, noise: float):
        self.n_classes, self.turns, self.radius, self.noise = n_arms, turns, radius, noise
        reach = radius + 4 * noise
        self.bounds = _square(np.array([-reach, -reach]), np.array([reach, reach]))

    def sample(self, n, rng):
        labels = rng.integers(0, self.n_classes, size=n).astype(np.int64)  # (n,)
        s = np.sqrt(rng.uniform(0.0, 1.0, size=n))  # (n,) fraction of the way out
        angles = 2 * np.pi * (self.turns * s + labels / self.n_classes)
        points = (self.radius * s)[:, None] * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return points + self.noise * rng.standard_normal((n, 2)), labels


class Circles(Target):
    """Concentric circles of the given radii, equally likely, plus Gaussian noise; label = ring.

    The two-ring default is scikit-learn's ``make_circles`` (inner/outer radius 0.5) scaled
    by 2, close to the FFJORD "circles" toy set.
    """

    def __init__(self, radii: np.ndarray, noise: float):
        self.radii, self.noise, self.n_classes = radii, noise, len(radii)
        reach = float(radii.max()) + 4 * noise
        self.bounds = _square(np.array([-reach, -reach]), np.array([reach, reach]))

    def sample(self, n, rng):
        labels = rng.integers(0, self.n_classes, size=n).astype(np.int64)  # (n,)
        t = rng.uniform(0.0, 2 * np.pi, size=n)
        points = self.radii[labels][:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
        return points + self.noise * rng.standard_normal((n, 2)), labels


class Pinwheel(Target):
    """Curved Gaussian arms around the origin; label = arm.

    The pinwheel of Johnson et al. (2016, "Composing graphical models with neural networks",
    also an FFJORD toy set): ``f = (1 + radial_std z1, tangential_std z2)`` rotated by
    ``2 pi k / n_arms + rate * exp(f1)`` and multiplied by ``scale``.
    """

    def __init__(self, n_arms, radial_std, tangential_std, rate, scale):
        self.n_classes = n_arms
        self.stds = np.array([radial_std, tangential_std])
        self.rate, self.scale = rate, scale
        reach = scale * float(np.hypot(1 + 4 * radial_std, 4 * tangential_std))
        self.bounds = _square(np.array([-reach, -reach]), np.array([reach, reach]))

    def sample(self, n, rng):
        labels = rng.integers(0, self.n_classes, size=n).astype(np.int64)  # (n,)
        features = rng.standard_normal((n, 2)) * self.stds + np.array([1.0, 0.0])  # (n, 2)
        angles = 2 * np.pi * labels / self.n_classes + self.rate * np.exp(features[:, 0])
        return self.scale * _rotate(features, angles), labels


class Line(Target):
    """A segment of the given length, centre and angle, uniform along it, plus Gaussian noise.

    With ``noise = 0`` the target is a 1D manifold (no density in 2D): the simplest case of
    a distribution a GAN must learn without a likelihood.
    """

    def __init__(self, length: float, angle: float, centre: np.ndarray, noise: float):
        self.length, self.noise, self.centre = length, noise, centre
        self.angle = np.deg2rad(angle)
        reach = length / 2 + 4 * noise
        self.bounds = _square(centre - reach, centre + reach)

    def sample(self, n, rng):
        along = rng.uniform(-self.length / 2, self.length / 2, size=n)  # (n,)
        points = _rotate(np.stack([along, np.zeros(n)], axis=1), self.angle)  # (n, 2)
        return self.centre + points + self.noise * rng.standard_normal((n, 2)), None


class UniformSquare(Target):
    """The uniform density on the square ``centre +- half_width``."""

    has_density = True

    def __init__(self, centre: np.ndarray, half_width: float):
        self.centre, self.half_width = centre, half_width
        self.bounds = _square(centre - half_width, centre + half_width, pad=0.1)
        self._log_density = -2 * np.log(2 * half_width)

    def sample(self, n, rng):
        return self.centre + rng.uniform(-self.half_width, self.half_width, size=(n, 2)), None

    def log_prob(self, x):
        inside = np.all(np.abs(_points(x) - self.centre) <= self.half_width, axis=1)  # (n,)
        return np.where(inside, self._log_density, -np.inf)


class Checkerboard(Target):
    """Uniform over the black squares of an ``n_squares`` x ``n_squares`` board of side ``size``.

    The board is centred at 0; square ``(i, j)`` (column ``i``, row ``j`` from the lower left)
    is black when ``i + j`` is even. The default 4 x 4 board of side 8 is the FFJORD
    "checkerboard" toy set.
    """

    has_density = True

    def __init__(self, n_squares: int, size: float):
        self.n_squares, self.size = n_squares, size
        self.cell = size / n_squares
        columns, rows = np.meshgrid(np.arange(n_squares), np.arange(n_squares), indexing="ij")
        black = (columns + rows) % 2 == 0
        self.black_cells = np.stack([columns[black], rows[black]], axis=1)  # (n_black, 2)
        self._log_density = -np.log(len(self.black_cells) * self.cell**2)
        self.bounds = _square(np.array([-size / 2] * 2), np.array([size / 2] * 2))

    def sample(self, n, rng):
        cells = self.black_cells[rng.integers(0, len(self.black_cells), size=n)]  # (n, 2)
        offsets = rng.uniform(0.0, 1.0, size=(n, 2))
        return (cells + offsets) * self.cell - self.size / 2, None

    def log_prob(self, x):
        index = np.floor((_points(x) + self.size / 2) / self.cell)  # (n, 2)
        on_board = np.all((index >= 0) & (index < self.n_squares), axis=1)
        black = np.mod(index.sum(axis=1), 2) == 0
        return np.where(on_board & black, self._log_density, -np.inf)


class Banana(Target):
    """A bent Gaussian: ``x = (u1, u2 + curvature * (u1^2 - std_x^2))``, ``u ~ N(0, diag(std^2))``.

    The "twisted Gaussian" of Haario, Saksman & Tamminen (1999). The map from ``u`` to ``x``
    has Jacobian determinant 1, so ``log p(x) = log N(u1; 0, std_x^2) + log N(u2; 0, std_y^2)``
    with ``u2 = x2 - curvature * (x1^2 - std_x^2)`` is exact. Subtracting ``std_x^2`` keeps
    the mean at 0.
    """

    has_density = True

    def __init__(self, curvature: float, std_x: float, std_y: float):
        self.curvature, self.std_x, self.std_y = curvature, std_x, std_y
        # 3.5 std in u1 and u2 each hold 99.95%, so the box holds >= 99.9%.
        bend = curvature * np.array([-std_x**2, (3.5 * std_x) ** 2 - std_x**2])  # (2,)
        low = np.array([-3.5 * std_x, bend.min() - 3.5 * std_y])
        high = np.array([3.5 * std_x, bend.max() + 3.5 * std_y])
        self.bounds = _square(low, high)
        self._log_norm = -_LOG_2PI - np.log(std_x) - np.log(std_y)

    def sample(self, n, rng):
        u = rng.standard_normal((n, 2)) * np.array([self.std_x, self.std_y])  # (n, 2)
        u[:, 1] += self.curvature * (u[:, 0] ** 2 - self.std_x**2)
        return u, None

    def log_prob(self, x):
        x = _points(x)
        u2 = x[:, 1] - self.curvature * (x[:, 0] ** 2 - self.std_x**2)  # (n,)
        return self._log_norm - 0.5 * ((x[:, 0] / self.std_x) ** 2 + (u2 / self.std_y) ** 2)


@TARGETS.register("two_moons", "two interleaved half circles with noise (sklearn make_moons)")
def two_moons(noise: float = 0.1) -> TwoMoons:
    """Two moons.

    Parameters
    ----------
    noise
        Std of the isotropic Gaussian noise added to every point (>= 0).
    """
    return TwoMoons(_non_negative("noise", noise))


@TARGETS.register("swiss_roll", "a 2D swiss roll (sklearn make_swiss_roll, FFJORD toy set)")
def swiss_roll(noise: float = 0.2, turns: float = 1.5, scale: float = 0.2) -> SwissRoll:
    """Swiss roll.

    Parameters
    ----------
    noise
        Std of the Gaussian noise (>= 0), in output units.
    turns, scale
        Number of turns of the roll, in (0, 10]; radius per radian of angle (> 0).
    """
    return SwissRoll(_non_negative("noise", noise), _number("turns", turns, 0, 10, open_low=True),
                     positive("scale", scale))


@TARGETS.register("spiral", "interleaved spiral arms, one class per arm (FFJORD 2spirals)")
def spiral(n_arms: int = 2, turns: float = 1.5, radius: float = 3.0,
           noise: float = 0.1) -> Spiral:
    """Spiral arms.

    Parameters
    ----------
    n_arms
        Number of arms (1 to 12), each a class.
    turns, radius
        Turns of each arm from centre to tip, in (0, 10]; radius of the tips (> 0).
    noise
        Std of the Gaussian noise (>= 0).
    """
    return Spiral(_whole("n_arms", n_arms, 1, 12), _number("turns", turns, 0, 10, open_low=True),
                  positive("radius", radius), _non_negative("noise", noise))


@TARGETS.register("checkerboard", "uniform over the black squares of a board (FFJORD toy set)")
def checkerboard(n_squares: int = 4, size: float = 8.0) -> Checkerboard:
    """Checkerboard.

    Parameters
    ----------
    n_squares
        Squares per side of the board (2 to 32).
    size
        Side length of the whole board (> 0), which is centred at 0.
    """
    return Checkerboard(_whole("n_squares", n_squares, 2, 32), positive("size", size))


@TARGETS.register("circles", "concentric noisy circles, one class per ring (sklearn make_circles)")
def circles(radii: list = (1.0, 2.0), noise: float = 0.08) -> Circles:
    """Concentric circles.

    Parameters
    ----------
    radii
        Radius of each ring (1 to 16 numbers > 0), each ring a class.
    noise
        Std of the Gaussian noise (>= 0).
    """
    if not isinstance(radii, (list, tuple)) or not 1 <= len(radii) <= 16:
        raise ConfigError("radii", radii, "must be a list of 1 to 16 numbers > 0")
    values = np.array([positive("radii", r) for r in radii])
    return Circles(values, _non_negative("noise", noise))


@TARGETS.register("banana", "a Gaussian bent into a banana; exact density (Haario et al. 1999)")
def banana(curvature: float = 0.5, std_x: float = 1.0, std_y: float = 0.3) -> Banana:
    """Banana.

    Parameters
    ----------
    curvature
        Bend ``b`` in ``x2 = u2 + b (u1^2 - std_x^2)``, from -10 to 10 (0: a plain Gaussian).
    std_x, std_y
        Stds of the Gaussian before bending (> 0).
    """
    return Banana(_number("curvature", curvature, -10, 10), positive("std_x", std_x),
                  positive("std_y", std_y))


@TARGETS.register("pinwheel", "curved Gaussian arms, one class per arm (Johnson et al. 2016)")
def pinwheel(n_arms: int = 5, radial_std: float = 0.3, tangential_std: float = 0.1,
             rate: float = 0.25, scale: float = 2.0) -> Pinwheel:
    """Pinwheel.

    Parameters
    ----------
    n_arms
        Number of arms (1 to 12), each a class.
    radial_std, tangential_std
        Stds of each arm along and across it, before bending (radial_std in [0, 1]).
    rate, scale
        How strongly the arms bend (any finite number; 0: straight); overall size (> 0).
    """
    return Pinwheel(_whole("n_arms", n_arms, 1, 12), _number("radial_std", radial_std, 0, 1),
                    _non_negative("tangential_std", tangential_std), _number("rate", rate),
                    positive("scale", scale))


@TARGETS.register("line", "a noisy line segment (noise 0: a 1D manifold with no 2D density)")
def line(length: float = 4.0, angle: float = 30.0, centre: list = (0.0, 0.0),
         noise: float = 0.05) -> Line:
    """Line segment.

    Parameters
    ----------
    length, angle, centre
        Length (> 0), direction (degrees counter-clockwise from +x) and midpoint ``[x, y]``.
    noise
        Std of the isotropic Gaussian noise (>= 0).
    """
    return Line(positive("length", length), _number("angle", angle), _point("centre", centre),
                _non_negative("noise", noise))


@TARGETS.register("uniform_square", "uniform on a square; exact density")
def uniform_square(centre: list = (0.0, 0.0), half_width: float = 1.0) -> UniformSquare:
    """Uniform square.

    Parameters
    ----------
    centre, half_width
        Centre ``[x, y]`` and half the side length (> 0).
    """
    return UniformSquare(_point("centre", centre), positive("half_width", half_width))
