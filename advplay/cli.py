"""The ``advplay`` command: the app, headless training and rendering, presets, benchmarks.

Exit status: 0 ok, 2 bad input (with one message naming the key, value and what is allowed),
1 failure (e.g. training diverged).
"""

from __future__ import annotations

import argparse
import sys

from advplay.core.errors import ConfigError
from advplay.export import PANELS, THEMES, ExportError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advplay", description="A playground for adversarial learning on 2D toy distributions. "
        "With no command, opens the app.")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="close the app after SECONDS (smoke tests, automation)")
    parser.add_argument("--play", action="store_true", help="start training when the app opens")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="with --quit-after: save a picture of the window just before closing")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train headless from a TOML config")
    train.add_argument("config", help="TOML config file ([target], [model], [train]), or an "
                       "experiment file (.advplay) to continue")
    train.add_argument("--steps", type=int, help="iterations (overrides train.steps; for an "
                       "experiment file, how many more)")
    train.add_argument("--seed", type=int, help="random seed (overrides train.seed)")
    train.add_argument("--device", help="cpu, cuda, mps or auto (overrides train.device)")
    train.add_argument("--out", default=None, help="output folder (default: runs/<config name>)")
    _add_look_options(train)
    train.add_argument("--export", metavar="FILE",
                       help="also write an animation of the run: .gif, .mp4, .webp, or a folder "
                       "name for PNG frames; a bare name goes into --out")
    train.add_argument("--fps", type=float, default=15.0, help="animation frames per second")
    train.add_argument("--frames", type=int, default=None,
                       help="frames in the animation, evenly over the run (default 100, "
                       "at most 1000)")

    render = commands.add_parser("render", help="draw the final frame of a run as a PNG")
    render.add_argument("experiment", help="a TOML config (trained first) or an .advplay file")
    render.add_argument("--png", required=True, help="the PNG file to write")
    render.add_argument("--steps", type=int,
                        help="iterations (a config: overrides train.steps; an .advplay file: more)")
    render.add_argument("--seed", type=int, help="random seed (overrides train.seed)")
    render.add_argument("--device", help="cpu, cuda, mps or auto (overrides train.device)")
    _add_look_options(render)
    render.add_argument("--panels", default="data", choices=PANELS,
                        help="which views the picture shows")
    render.add_argument("--title", help="a title at the top of the picture")
    render.add_argument("--no-step", action="store_true", help="leave out the step counter")

    commands.add_parser("presets", help="list targets, models and losses")

    bench = commands.add_parser("bench", help="run a benchmark; the last line printed is JSON")
    bench.add_argument("name", choices=["speed", "gui", "export", "soak", "modes"],
                       help="speed: session vs a plain PyTorch loop; gui: window vs headless; "
                       "export: GIF and MP4 export time and memory; soak: memory over a long "
                       "run; modes: mode collapse on ring8/grid25 beside the published tables")
    bench.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    bench.add_argument("--threads", type=int, default=None,
                       help="torch threads for the speed benchmark (default: torch's choice)")
    modes = bench.add_argument_group("modes options")
    modes.add_argument("--target", help="ring8 (default) or grid25")
    modes.add_argument("--model", action="append", metavar="NAME|FILE",
                       help="a preset (e.g. gan-pacgan, pacgan2, gan-veegan) or a TOML config; "
                       "repeat or separate by commas (default: every preset for the target)")
    modes.add_argument("--seeds", type=int, help="seeds per model (default 3; 2 with --quick)")
    modes.add_argument("--steps", type=int, help="iterations per seed (default: each config's "
                       "train.steps; 20 with --quick)")
    modes.add_argument("--jobs", type=int, help="processes at once (default: the cores)")
    return parser


MODES_OPTIONS = {"target": "target", "model": "models", "seeds": "seeds", "steps": "steps",
                 "jobs": "jobs"}


def _bench_options(args) -> dict:
    """The options of ``bench modes`` that were given; ConfigError if given to another bench."""
    given = {key: getattr(args, option) for option, key in MODES_OPTIONS.items()
             if getattr(args, option) is not None}
    if given and args.name != "modes":
        option = next(option for option in MODES_OPTIONS if getattr(args, option) is not None)
        raise ConfigError(f"--{option}", getattr(args, option), "applies to bench modes only")
    return given


def _add_look_options(command) -> None:
    command.add_argument("--size", default="1280x720", metavar="WxH",
                         help="picture size in pixels (default 1280x720)")
    command.add_argument("--theme", default="dark", choices=THEMES,
                         help="dark (as in the app) or light (for slides)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            from advplay.train import train_command

            return train_command(args)
        if args.command == "render":
            from advplay.export.headless import render_command

            return render_command(args)
        if args.command == "presets":
            return _presets()
        if args.command == "bench":
            from advplay.bench import run_benchmark

            return run_benchmark(args.name, quick=args.quick, threads=args.threads,
                                 **_bench_options(args))
        from advplay.app import launch

        return launch(quit_after=args.quit_after, play=args.play, screenshot=args.screenshot)
    except ConfigError as error:
        print(f"advplay: error: {error}", file=sys.stderr)
        return 2
    except ExportError as error:  # 2 for a bad path or option, 1 for a failed write
        print(f"advplay: error: {error}", file=sys.stderr)
        return error.exit_status


def _presets() -> int:
    from advplay.core.losses import LOSSES
    from advplay.core.models import MODELS
    from advplay.core.targets import TARGETS

    for title, registry in (("targets", TARGETS), ("models", MODELS), ("losses", LOSSES)):
        print(f"{title}:")
        width = max(len(name) for name in registry)
        for entry in registry.entries():
            print(f"  {entry.name:<{width}}  {entry.description}")
    return 0
