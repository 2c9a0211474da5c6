"""The experiment configuration: dataclasses <-> TOML, validated with messages that name the key.

A config file has three sections, every key has a default, so ``[target] name = "grid25"``
alone is a valid file::

    [target]            # name plus the target's own parameters
    name = "ring8"
    std = 0.02
    [model]             # method, loss, network sizes, latent settings, penalties
    name = "gan"
    loss = "nonsaturating"
    [train]             # steps, batch, learning rates, optimiser, seed, device
    lr_d = 1e-3
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from advplay.core.errors import ConfigError

PRIORS = ("normal", "uniform")
RATIO_LOSSES = ("logistic", "ulsif", "nwj", "dv")
UPDATES = ("alternating", "simultaneous")
REGULARIZERS = ("none", "r1", "gp", "instance_noise")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
LR_SCHEDULES = ("constant", "cosine", "linear")
DEVICES = ("cpu", "cuda", "mps", "auto")
GENERATOR_NORMS = ("none", "batch")
DISCRIMINATORS = ("mlp", "maxout")
#: longest free-text value (a file path)
MAX_TEXT = 4096


def _spec(default, low=None, high=None, choices=None, help=""):
    """A dataclass field carrying its allowed range or choices for validation."""
    meta = {"low": low, "high": high, "choices": choices, "help": help}
    return field(default=default, metadata=meta)


@dataclass
class TargetConfig:
    name: str = "ring8"
    params: dict = field(default_factory=dict)


@dataclass
class ModelConfig:
    name: str = _spec("gan", choices="models", help="training method")
    loss: str = _spec("nonsaturating", choices="losses", help="GAN objective")
    width: int = _spec(128, 1, 4096, help="hidden units per layer")
    depth: int = _spec(3, 0, 16, help="hidden layers")
    activation: str = _spec("relu", choices="activations", help="hidden nonlinearity")
    latent_dim: int = _spec(2, 1, 256, help="dimension of the generator's noise z")
    latent_prior: str = _spec("normal", choices=PRIORS, help="distribution of z")
    latent_codes: int = _spec(0, 0, 256, help="gan and cgan, MGAN-style: cut the prior into this many "
                              "equal-probability slabs along z_1 and give G the slab's one-hot too "
                              "(0 = off)")
    r1: float = _spec(0.0, 0.0, 1e4, help="R1 penalty weight gamma on real data (0 = off)")
    r2: float = _spec(0.0, 0.0, 1e4, help="R2 penalty weight gamma on fake data (0 = off)")
    gp_weight: float = _spec(10.0, 0.0, 1e4, help="WGAN-GP gradient penalty weight")
    pack: int = _spec(1, 1, 16, help="PacGAN packing: samples the discriminator sees at once")
    generator_norm: str = _spec("none", choices=GENERATOR_NORMS,
                                help="GAN family: normalisation of the generator's hidden "
                                "layers (batch = batch norm, as in PacGAN/ALI)")
    discriminator: str = _spec("mlp", choices=DISCRIMINATORS,
                               help="GAN family: discriminator layers, an MLP with the "
                               "activation above or maxout units (PacGAN/ALI)")
    maxout_pieces: int = _spec(5, 2, 16, help="affine pieces per maxout unit")
    discriminator_width: int = _spec(0, 0, 4096, help="discriminator units per hidden layer "
                                     "(0 = width)")
    discriminator_depth: int = _spec(-1, -1, 16, help="discriminator hidden layers "
                                     "(-1 = depth)")
    ratio_loss: str = _spec("logistic", choices=RATIO_LOSSES,
                            help="density-ratio loss: logistic, uLSIF least squares, NWJ or DV bound")
    reference: str = _spec("gaussian", choices="references",
                           help="reference density q of the density-ratio estimator: a preset "
                           "with a density, or drawn (a drawing file, see reference_path)")
    reference_path: str = _spec("", help="with reference = drawn: the drawing file (.npz) "
                                "that is q, saved by the app's Draw mode")
    updates: str = _spec("alternating", choices=UPDATES,
                         help="Dirac-GAN: players step one after the other, or both at once")
    regularizer: str = _spec("none", choices=REGULARIZERS,
                             help="Dirac-GAN regulariser: none, R1 (gamma = r1), WGAN-GP, instance noise")
    noise_std: float = _spec(0.3, 0.0, 10.0, help="Dirac-GAN instance noise standard deviation")


@dataclass
class TrainConfig:
    steps: int = _spec(5000, 0, 10**9, help="iterations to train (CLI)")
    batch_size: int = _spec(256, 1, 1 << 20, help="samples per batch, real and fake each")
    lr_d: float = _spec(1e-3, 0.0, 10.0, help="discriminator learning rate")
    lr_g: float = _spec(1e-3, 0.0, 10.0, help="generator learning rate")
    optimizer: str = _spec("adam", choices=OPTIMIZERS, help="optimiser for both players")
    beta1: float = _spec(0.5, 0.0, 0.9999, help="Adam beta1 / RMSprop and SGD momentum")
    beta2: float = _spec(0.999, 0.0, 0.99999, help="Adam beta2 / RMSprop alpha")
    d_steps: int = _spec(1, 1, 100, help="discriminator updates per iteration")
    g_steps: int = _spec(1, 1, 100, help="generator updates per iteration")
    seed: int = _spec(0, 0, 2**63 - 1, help="random seed; same seed, same run on CPU")
    device: str = _spec("cpu", choices=DEVICES, help="where to train: cpu, cuda, mps or auto")
    metrics_every: int = _spec(100, 1, 10**9, help="steps between metric evaluations")
    ema: float = _spec(0.0, 0.0, 0.99999, help="decay of a moving average of G's weights that "
                       "views, metrics and samples use (gan and cgan; 0 = off)")
    lr_schedule: str = _spec("constant", choices=LR_SCHEDULES,
                             help="learning-rate decay over train.steps (gan and cgan): constant, "
                                  "cosine or linear, down to train.lr_final at the last step")
    lr_decay_start: float = _spec(0.0, 0.0, 1.0, help="fraction of train.steps at which the "
                                  "cosine or linear decay begins (0: decay over the whole run)")
    lr_final: float = _spec(0.0, 0.0, 1.0, help="learning-rate factor the decay ends at and "
                            "keeps after train.steps (0: training stops moving)")


#: train/model keys that may change while training; everything else needs a new model
ON_THE_FLY = {
    "model.loss", "model.r1", "model.r2", "model.gp_weight", "model.updates",
    "model.regularizer", "model.noise_std",
    "train.lr_d", "train.lr_g", "train.beta1", "train.beta2", "train.batch_size",
    "train.d_steps", "train.g_steps", "train.steps", "train.metrics_every", "train.lr_schedule",
    "train.lr_decay_start", "train.lr_final",
}


@dataclass
class Config:
    target: TargetConfig = field(default_factory=TargetConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return {
            "target": {"name": self.target.name, **_plain(self.target.params)},
            "model": dataclasses.asdict(self.model),
            "train": dataclasses.asdict(self.train),
        }

    def resolved(self) -> "Config":
        """A copy with every target parameter spelled out (what ``config.toml`` records)."""
        from advplay.core.targets import target_defaults

        params = {**target_defaults(self.target.name), **self.target.params}
        return Config(TargetConfig(self.target.name, _plain(params)),
                      dataclasses.replace(self.model), dataclasses.replace(self.train))

    def value(self, key: str):
        """The value of a dotted key, e.g. ``config.value("train.lr_d")``."""
        section, name = key.split(".")
        return getattr(getattr(self, section), name)

    def replace(self, changes: dict[str, Any]) -> "Config":
        """A validated copy with dotted keys changed, e.g. ``{"train.lr_d": 1e-4}``."""
        data = self.to_dict()
        for key, value in changes.items():
            section, _, name = key.partition(".")
            if section not in data or not name:
                raise ConfigError(key, value, "must be a key like 'train.lr_d'")
            data[section][name] = value
        # The target was validated when this config was made (or is a drawing in memory):
        # rebuild it only when a target key changes.
        touches_target = any(key.startswith("target.") for key in changes)
        return config_from_dict(data, check_target=touches_target)


def _plain(value):
    """Tuples to lists, recursively, so the value is TOML- and JSON-friendly."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@functools.cache
def _density_presets() -> tuple[str, ...]:
    """Presets with a closed-form density: the references a density-ratio estimator can use."""
    from advplay.core.targets import make_target, preset_names

    return tuple(name for name in preset_names() if make_target(name).has_density)


def allowed_choices(choices) -> list[str]:
    """The allowed values of a key: a fixed tuple, or a registry's names ("losses", ...)."""
    if not isinstance(choices, str):
        return list(choices)
    if choices == "losses":
        from advplay.core.losses import LOSSES as registry
    elif choices == "references":
        return [*_density_presets(), "drawn"]
    elif choices == "activations":
        from advplay.core.nets import ACTIVATIONS as registry
    else:
        from advplay.core.models import MODELS as registry
    return registry.names()


def _check_value(key: str, value, f: dataclasses.Field):
    meta = f.metadata
    if meta.get("choices") is not None:
        allowed = allowed_choices(meta["choices"])
        if value not in allowed:
            raise ConfigError(key, value, f"must be one of {', '.join(allowed)}")
        return value
    if f.type in ("str", str):
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ConfigError(key, value, f"must be text of at most {MAX_TEXT} characters")
        return value
    kind = f.type if isinstance(f.type, type) else {"int": int, "float": float}[f.type]
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ConfigError(key, value, f"must be a whole number from {meta['low']} to {meta['high']}")
    if kind is float and not is_number:
        raise ConfigError(key, value, f"must be a number from {meta['low']} to {meta['high']}")
    if not meta["low"] <= value <= meta["high"]:
        raise ConfigError(key, value, f"must be from {meta['low']} to {meta['high']}")
    return kind(value)


def _section(cls, data: dict, section: str):
    if not isinstance(data, dict):
        raise ConfigError(section, data, "must be a table of keys")
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{section}.{key}", value,
                              f"is not a known key; allowed: {', '.join(known)}")
        values[key] = _check_value(f"{section}.{key}", value, known[key])
    return cls(**values)


def config_from_dict(data: dict, check_target: bool = True) -> Config:
    """Validate a nested dict (as read from TOML) into a Config; ConfigError on any bad key.

    ``check_target=False`` skips building the target, for a target given as an object (a
    drawing in memory) rather than by its parameters.
    """
    from advplay.core.targets import TARGETS, make_target

    for section in data:
        if section not in ("target", "model", "train"):
            raise ConfigError(section, data[section],
                              "is not a known section; allowed: target, model, train")
    target_data = dict(data.get("target", {}))
    name = target_data.pop("name", TargetConfig.name)
    try:
        if not check_target:
            if name not in TARGETS:
                raise ConfigError("name", name, f"must be one of {', '.join(TARGETS.names())}")
        else:
            make_target(name, **target_data)
    except ConfigError as error:
        raise error.under("target") from None
    except (TypeError, ValueError) as error:
        raise ConfigError(f"target.{name}", target_data, str(error)) from None
    return Config(
        TargetConfig(name, target_data),
        _section(ModelConfig, data.get("model", {}), "model"),
        _section(TrainConfig, data.get("train", {}), "train"),
    )


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file; ConfigError names the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError("config", str(path), f"cannot be read ({error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("config", str(path), f"is not valid TOML ({error})") from None
    return config_from_dict(data)


def dump_config(config: Config) -> str:
    """The config as TOML text."""
    return tomli_w.dumps(config.to_dict())


def field_help(section: str, name: str) -> str:
    """The one-line help text of a config key (for tooltips and ``--help``)."""
    cls = {"model": ModelConfig, "train": TrainConfig}[section]
    return {f.name: f.metadata.get("help", "") for f in fields(cls)}[name]
