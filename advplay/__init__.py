"""advplay: a desktop playground for adversarial learning on 2D toy distributions."""

__version__ = "0.1.0"
