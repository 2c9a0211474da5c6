"""The published mode-collapse tables that ``advplay bench modes`` and the app's Benchmarks
panel print beside what they measure.

Both papers train on the 8-Gaussian ring (``ring8``) and the 25-Gaussian grid (``grid25``) and
score 2500 generator samples with the metrics of :func:`advplay.core.metrics.mode_metrics`:

* PacGAN (Lin et al. 2018), Table 1: mean over 10 trials of modes captured, percentage of
  high-quality samples and reverse KL of the mode histogram;
* VEEGAN (Srivastava et al. 2017), Table 1: modes captured only (their high-quality column
  uses a different protocol, so it is not quoted here).

A value the paper does not report is ``None``. Numpy-free, Qt-free: plain data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedRow:
    """One row of a published table: a method's scores on one target."""

    source: str
    method: str
    target: str
    modes: float
    high_quality: float | None  # percent
    reverse_kl: float | None


def _rows(source: str, target: str, table: list[tuple]) -> list[PublishedRow]:
    return [PublishedRow(source, method, target, *scores) for method, *scores in table]


PUBLISHED: tuple[PublishedRow, ...] = tuple(
    _rows("PacGAN Table 1", "ring8", [("GAN", 6.3, 98.2, 0.45), ("ALI", 6.6, 97.6, 0.36),
                                      ("PacGAN2", 7.9, 95.6, 0.07)])
    + _rows("PacGAN Table 1", "grid25", [("GAN", 17.3, 94.8, 0.70), ("ALI", 24.1, 95.7, 0.14),
                                         ("PacGAN4", 24.8, 93.6, 0.04)])
    + _rows("VEEGAN Table 1", "ring8", [("GAN", 1.0, None, None), ("ALI", 2.8, None, None),
                                        ("Unrolled GAN", 7.6, None, None),
                                        ("VEEGAN", 8.0, None, None)])
    + _rows("VEEGAN Table 1", "grid25", [("GAN", 3.3, None, None), ("ALI", 15.8, None, None),
                                         ("Unrolled GAN", 23.6, None, None),
                                         ("VEEGAN", 24.6, None, None)])
)

#: targets the published tables cover
BENCHMARK_TARGETS = ("ring8", "grid25")


def published_rows(target: str) -> list[PublishedRow]:
    """The published rows for ``target`` (``ring8`` or ``grid25``), PacGAN's first."""
    return [row for row in PUBLISHED if row.target == target]
