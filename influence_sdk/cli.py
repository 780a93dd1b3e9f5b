"""The ``influence-sdk`` command line. It parses, builds a config, calls the API, prints.

Errors the SDK raises on purpose print ``Error: message`` and exit 1; usage errors exit 2;
``--debug`` shows tracebacks.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from influence_sdk.errors import InfluenceError

logger = logging.getLogger("influence_sdk")


class Context:
    debug = False


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn SDK errors into ``Error: message`` and exit code 1 (tracebacks only with --debug)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InfluenceError as err:
            if Context.debug:
                raise
            click.echo(f"Error: {err}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo(
                "Error: interrupted; finished units are kept in --output, rerun to resume", err=True
            )
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors, no progress bars.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="influence-sdk")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Empirical influence analysis: fine-tune on one item, re-score every probe, check logic."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if verbose < 2:  # third-party chatter is not ours to show
        for noisy in ("transformers", "datasets", "sentence_transformers", "httpx", "peft"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        _quiet_library_progress_bars()
    logging.captureWarnings(True)  # warnings become one log line, not source excerpts
    Context.debug = debug
    ctx.obj = {"progress": not quiet}


def _quiet_library_progress_bars() -> None:
    """Hide transformers' "Loading weights" bars: our own bars show what a person waits for."""
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a core dependency
        pass


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``evaluate``, ``compare`` and ``calibrate``."""
    options = [
        click.option(
            "--model",
            default=None,
            help="Hub id, local folder or alias; default: embedded SmolLM2-135M.",
        ),
        click.option(
            "--weights",
            type=click.Path(path_type=Path),
            default=None,
            help="A .safetensors file for a --model module:factory image classifier.",
        ),
        click.option(
            "--suite",
            "suites",
            multiple=True,
            help="Suite name or .jsonl path (repeatable); options as NAME:k=3.",
        ),
        click.option(
            "--seeds",
            default=3,
            show_default=True,
            type=click.IntRange(min=1),
            help="Number of seeds (0..N-1).",
        ),
        click.option(
            "--method",
            type=click.Choice(["full", "lora"]),
            default=None,
            help="Fine-tuning method [full].",
        ),
        click.option(
            "--optimizer",
            type=click.Choice(["adamw", "sgd"]),
            default=None,
            help="Optimizer [adamw].",
        ),
        click.option(
            "--lr", type=float, default=None, help="Learning rate (> 0) [recipe default]."
        ),
        click.option(
            "--steps", type=int, default=None, help="Optimizer steps per item (>= 1) [1]."
        ),
        click.option("--lora-rank", type=int, default=None, help="LoRA rank [8]."),
        click.option(
            "--device", default="cpu", show_default=True, help="torch device, e.g. cpu or cuda."
        ),
        click.option(
            "--dtype",
            type=click.Choice(["float32", "bfloat16", "float16"]),
            default="float32",
            show_default=True,
        ),
        click.option(
            "--property",
            "properties",
            multiple=True,
            help="Property name (repeatable); default: all.",
        ),
        click.option(
            "--output",
            type=click.Path(path_type=Path),
            default=None,
            help="Run directory (resumable).",
        ),
        click.option(
            "--overwrite", is_flag=True, help="Discard a run in --output made with another config."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def analysis_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options of ``evaluate`` and ``compare`` only: calibrated lr and the first-order estimate."""
    command = click.option(
        "--first-order",
        is_flag=True,
        help="Also report the first-order (gradient dot product) estimate and its correlation.",
    )(command)
    return click.option(
        "--lr-from",
        type=click.Path(path_type=Path),
        default=None,
        help="Take the learning rate from a calibration.json written by `calibrate`.",
    )(command)


def build_analyzer(options: dict[str, Any], strategies: list[str], progress: bool) -> Any:
    from influence_sdk.analyzer import Analyzer
    from influence_sdk.errors import ConfigError
    from influence_sdk.models import load_model
    from influence_sdk.models.entry import is_entry_point
    from influence_sdk.recipe import FineTuneRecipe

    lr = options["lr"]
    if options.get("lr_from"):
        from influence_sdk.calibration import read_calibrated_lr

        if lr is not None:
            raise ConfigError("--lr and --lr-from both give a learning rate; pass only one")
        lr = read_calibrated_lr(options["lr_from"])
    recipe = FineTuneRecipe.from_options(
        method=options["method"],
        optimizer=options["optimizer"],
        lr=lr,
        steps=options["steps"],
        lora_rank=options["lora_rank"],
    )
    weights = {"weights": options["weights"]} if options["weights"] else {}
    if weights and not is_entry_point(options["model"] or ""):
        raise ConfigError(
            "--weights applies to a --model module:factory image classifier only; drop --weights"
        )
    output = options.get("output")
    if output is not None and output.exists() and not output.is_dir():
        # Checked before the model loads, which can take a minute.
        raise ConfigError(f"--output {output} is a file; pass a directory")
    model = load_model(
        options["model"], device=options["device"], dtype=options["dtype"], **weights
    )
    return Analyzer(
        model,
        suites=list(options["suites"]) or None,
        seeds=options["seeds"],
        recipe=recipe,
        properties=list(options["properties"]) or None,
        strategies=strategies,
        output=options["output"],
        overwrite=options["overwrite"],
        progress=progress,
        model_name=options["model"] or "smollm2-135m",
        first_order=bool(options.get("first_order")),
    )


@main.command()
@run_options
@analysis_options
@click.option(
    "--strategy", "strategies", multiple=True, help="Strategy name or .toml path [plain]."
)
@click.pass_context
@handle_errors
def evaluate(ctx: click.Context, strategies: tuple[str, ...], **options: Any) -> None:
    """Measure influence on the suites and check every property over seeds."""
    analyzer = build_analyzer(options, list(strategies) or ["plain"], ctx.obj["progress"])
    report = analyzer.evaluate()
    click.echo(report.summary())
    if options["output"]:
        click.echo(
            f"\nwrote {options['output'] / 'report.json'} and {options['output'] / 'report.md'}"
        )


@main.command("compare")
@run_options
@analysis_options
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    help="Strategy name or .toml path to set beside plain (repeatable).",
)
@click.pass_context
@handle_errors
def compare_command(ctx: click.Context, strategies: tuple[str, ...], **options: Any) -> None:
    """Compare strategies with plain fine-tuning on the same probes: verdicts, symmetry, figures."""
    from influence_sdk.comparison import comparison_summary, run_comparison, with_baseline

    analyzer = build_analyzer(options, with_baseline(strategies), ctx.obj["progress"])
    report = run_comparison(analyzer)
    click.echo(comparison_summary(report.extras["comparison"]))
    if options["output"]:
        output = options["output"]
        click.echo(f"\nwrote {output / 'report.json'} and {output / 'report.md'}")
        for path in report.extras.get("figures", {}).values():
            click.echo(f"wrote {output / path}")


@main.command("suites")
@handle_errors
def list_suites() -> None:
    """List the built-in suites."""
    from influence_sdk.suites import SUITES

    for spec in SUITES.values():
        click.echo(f"{spec.name:<16} {spec.modality:<6} {spec.description}")


@main.command("properties")
@handle_errors
def list_properties() -> None:
    """List the registered properties (desiderata)."""
    from influence_sdk.properties import PROPERTIES

    for name, cls in sorted(PROPERTIES.items()):
        click.echo(f"{name:<20} {cls.description}")


@main.command("strategies")
@handle_errors
def list_strategies() -> None:
    """List the built-in strategies."""
    from influence_sdk.strategy import builtin_strategy_files, load_strategy

    for name in builtin_strategy_files():
        strategy = load_strategy(name)
        click.echo(f"{name:<16} {strategy.mode:<11} {strategy.description}")


@main.command("calibrate")
@click.option(
    "--model",
    default=None,
    help="Hub id, local folder or alias; default: embedded SmolLM2-135M.",
)
@click.option(
    "--weights",
    type=click.Path(path_type=Path),
    default=None,
    help="A .safetensors file for a --model module:factory image classifier.",
)
@click.option(
    "--suite",
    default=None,
    help="Suite to calibrate on [first default suite of the model].",
)
@click.option(
    "--seeds",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seeds 0..N-1.",
)
@click.option(
    "--items",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per matrix (the first N items) [all].",
)
@click.option(
    "--method",
    type=click.Choice(["full", "lora"]),
    default=None,
    help="Fine-tuning method.",
)
@click.option(
    "--optimizer",
    type=click.Choice(["adamw", "sgd"]),
    default=None,
    help="Optimizer [adamw].",
)
@click.option("--steps", type=int, default=None, help="Optimizer steps per item (>= 1) [1].")
@click.option("--lr-min", type=float, default=1e-7, show_default=True)
@click.option("--lr-max", type=float, default=1e-3, show_default=True)
@click.option(
    "--points",
    type=click.IntRange(min=2),
    default=9,
    show_default=True,
    help="Grid points (log-spaced).",
)
@click.option("--device", default="cpu", show_default=True, help="torch device, e.g. cpu or cuda.")
@click.option(
    "--dtype",
    type=click.Choice(["float32", "bfloat16", "float16"]),
    default="float32",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("runs/calibration"),
    show_default=True,
)
@click.pass_context
@handle_errors
def calibrate_command(ctx: click.Context, **options: Any) -> None:
    """Sweep the learning rate, measure influence size and noise, pick the plateau."""
    from influence_sdk.calibration import calibrate, log_grid, write_calibration
    from influence_sdk.models import load_model
    from influence_sdk.recipe import FineTuneRecipe
    from influence_sdk.suites import default_suites

    recipe = FineTuneRecipe.from_options(
        method=options["method"], optimizer=options["optimizer"], steps=options["steps"]
    )
    weights = {"weights": options["weights"]} if options["weights"] else {}
    model = load_model(
        options["model"], device=options["device"], dtype=options["dtype"], **weights
    )
    suite = options["suite"] or default_suites(model.modality)[0]
    grid = log_grid(options["lr_min"], options["lr_max"], options["points"])
    result = calibrate(
        model,
        suite,
        grid,
        list(range(options["seeds"])),
        recipe,
        options["items"],
        progress=ctx.obj["progress"],
    )
    json_path, png_path = write_calibration(result, options["output"])
    click.echo(f"{'lr':>10} {'|M| off-diag':>13} {'seed spread':>12} {'stability':>10}  plateau")
    for point in result["grid"]:
        click.echo(
            f"{point['lr']:>10.3g} {point['size_offdiag']:>13.3g} {point['seed_spread']:>12.3g} "
            f"{point['stability']:>10.3f}  {'yes' if point['on_plateau'] else ''}"
        )
    found = "" if result["plateau_found"] else " (no plateau found: most stable resolved lr)"
    click.echo(f"chosen lr {result['lr']:.3g}{found}; use it with --lr-from {json_path}")
    click.echo(f"wrote {json_path} and {png_path}")


if __name__ == "__main__":  # pragma: no cover
    main()
