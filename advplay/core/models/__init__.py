"""Training methods, one module each, registered by name in ``MODELS``."""

from advplay.core.models.base import MODELS, make_optimizer
from advplay.core.models import gan  # noqa: F401  (registers "gan")
from advplay.core.models import cgan  # noqa: F401  (registers "cgan")
from advplay.core.models import ratio  # noqa: F401  (registers "ratio")
from advplay.core.models import ali  # noqa: F401  (registers "ali")
from advplay.core.models import avb  # noqa: F401  (registers "avb")
from advplay.core.models import autoencoders  # noqa: F401  (registers "vae" and "aae")
from advplay.core.models import dirac  # noqa: F401  (registers "dirac")

__all__ = ["MODELS", "make_optimizer"]
