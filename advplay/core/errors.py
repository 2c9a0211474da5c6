"""Errors the core raises for bad input and failed training."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is wrong.

    The message names the key, the bad value and what is allowed, e.g.
    ``train.lr_d = -1: must be a number > 0``.
    """

    def __init__(self, key: str, value: object, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key} = {value!r}: {allowed}")

    def under(self, section: str) -> "ConfigError":
        """The same error with its key prefixed by ``section`` (``std`` -> ``target.std``)."""
        return ConfigError(f"{section}.{self.key}", self.value, self.allowed)


class TrainingDiverged(RuntimeError):
    """Losses or parameters became NaN or infinite.

    ``step`` is the first training step whose result was not finite.
    """

    def __init__(self, step: int, what: str):
        self.step = step
        self.what = what
        super().__init__(
            f"training diverged at step {step}: {what} became NaN or infinite; "
            "lower the learning rates or add a penalty, then reset"
        )
