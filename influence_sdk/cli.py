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
            click.echo("Error: interrupted; finished units are kept in --output, rerun to resume", err=True)
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
    Context.debug = debug
    ctx.obj = {"progress": not quiet}


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``evaluate``, ``compare`` and ``calibrate``."""
    options = [
        click.option("--model", default=None, help="Hub id, local folder or alias; default: embedded SmolLM2-135M."),
        click.option("--weights", type=click.Path(path_type=Path), default=None, help="A .safetensors file for a --model module:factory image classifier."),
        click.option("--suite", "suites", multiple=True, help="Suite name or .jsonl path (repeatable); options as NAME:k=3."),
        click.option("--seeds", default=3, show_default=True, type=click.IntRange(min=1), help="Number of seeds (0..N-1)."),
        click.option("--method", type=click.Choice(["full", "lora"]), default=None, help="Fine-tuning method [full]."),
        click.option("--optimizer", type=click.Choice(["adamw", "sgd"]), default=None, help="Optimizer [adamw]."),
        click.option("--lr", type=float, default=None, help="Learning rate (> 0) [recipe default]."),
        click.option("--steps", type=int, default=None, help="Optimizer steps per item (>= 1) [1]."),
        click.option("--lora-rank", type=int, default=None, help="LoRA rank [8]."),
        click.option("--device", default="cpu", show_default=True, help="torch device, e.g. cpu or cuda."),
        click.option("--dtype", type=click.Choice(["float32", "bfloat16", "float16"]), default="float32", show_default=True),
        click.option("--property", "properties", multiple=True, help="Property name (repeatable); default: all."),
        click.option("--output", type=click.Path(path_type=Path), default=None, help="Run directory (resumable)."),
        click.option("--overwrite", is_flag=True, help="Discard a run in --output made with another config."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_analyzer(options: dict[str, Any], strategies: list[str], progress: bool) -> Any:
    from influence_sdk.analyzer import Analyzer
    from influence_sdk.errors import ConfigError
    from influence_sdk.models import load_model
    from influence_sdk.models.entry import is_entry_point
    from influence_sdk.recipe import FineTuneRecipe

    recipe = FineTuneRecipe.from_options(
        method=options["method"], optimizer=options["optimizer"], lr=options["lr"],
        steps=options["steps"], lora_rank=options["lora_rank"],
    )
    weights = {"weights": options["weights"]} if options["weights"] else {}
    if weights and not is_entry_point(options["model"] or ""):
        raise ConfigError("--weights applies to a --model module:factory image classifier only; drop --weights")
    model = load_model(options["model"], device=options["device"], dtype=options["dtype"], **weights)
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
    )


@main.command()
@run_options
@click.option("--strategy", "strategies", multiple=True, help="Strategy name or .toml path [plain].")
@click.pass_context
@handle_errors
def evaluate(ctx: click.Context, strategies: tuple[str, ...], **options: Any) -> None:
    """Measure influence on the suites and check every property over seeds."""
    analyzer = build_analyzer(options, list(strategies) or ["plain"], ctx.obj["progress"])
    report = analyzer.evaluate()
    click.echo(report.summary())
    if options["output"]:
        click.echo(f"\nwrote {options['output'] / 'report.json'} and {options['output'] / 'report.md'}")


@main.command("compare")
@run_options
@click.option(
    "--strategy", "strategies", multiple=True,
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


if __name__ == "__main__":  # pragma: no cover
    main()
