"""Training methods, one module each, registered by name in ``MODELS``."""

from advplay.core.models.base import MODELS, make_optimizer
from advplay.core.models import gan  # noqa: F401  (registers "gan")
from advplay.core.models import cgan  # noqa: F401  (registers "cgan")

__all__ = ["MODELS", "make_optimizer"]
