"""Registered 2D targets.

``make_target(name, **params)`` builds one; ``TARGETS`` lists them. Every target has
``sample(n, rng)``, ``bounds`` and ``n_classes``; those with a closed-form density have
``has_density = True`` and an exact ``log_prob``; mixtures carry ``mixture``.
"""

from __future__ import annotations

import inspect

from advplay.core.errors import ConfigError
from advplay.core.targets import mixtures, shapes  # noqa: F401  (registers the targets)
from advplay.core.targets.base import TARGETS, Bounds, GaussianMixture, Mixture, Target

__all__ = [
    "FILE_TARGETS", "TARGETS", "Bounds", "GaussianMixture", "Mixture", "Target", "make_target",
    "preset_names", "target_defaults",
]


#: targets read from a file (``path``): a drawing, an image, a point set; the rest are presets
FILE_TARGETS = ("drawn", "image", "points")


def preset_names() -> list[str]:
    """Targets that need no file: what the app's target menu lists."""
    return [name for name in TARGETS.names() if name not in FILE_TARGETS]


def target_defaults(name: str) -> dict:
    """The parameters of target ``name`` with their default values."""
    signature = inspect.signature(TARGETS[name])
    return {key: p.default for key, p in signature.parameters.items()}


def make_target(name: str, **params) -> Target:
    """Build target ``name``; unknown names or parameters raise ConfigError."""
    if name not in TARGETS:
        raise ConfigError("name", name, f"must be one of {', '.join(TARGETS.names())}")
    allowed = target_defaults(name)
    for key in params:
        if key not in allowed:
            raise ConfigError(key, params[key], f"is not a parameter of {name}; allowed: "
                              f"{', '.join(allowed) or 'none'}")
    return TARGETS[name](**params)


# Drawings, images and point files are targets too; imported last (they build on the above).
from advplay.core import drawn  # noqa: E402,F401
