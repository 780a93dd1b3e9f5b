"""Checks that run before any fine-tuning, so that bad input fails in seconds, not hours.

The model checks each plain probe when a suite is drawn; here the texts a *strategy* produces
are checked too: a template or an in-context layout can push an item past the model's context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from influence_sdk.errors import ConfigError
from influence_sdk.items import Probe
from influence_sdk.models.base import Model
from influence_sdk.strategy import Strategy
from influence_sdk.suites import Suite


def check_strategy_texts(
    model: Model,
    draws: Mapping[tuple[str, int], Suite],
    strategies: Sequence[Strategy],
    chat_context: Callable[[Strategy], str],
) -> None:
    """Check what each strategy will learn or place in context, for every draw.

    Strategies with a model-generated part are checked once their text is generated. Two
    strategies of one run must have different names: results and run files are keyed by name.
    """
    names = [strategy.name for strategy in strategies]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(
            f"two strategies of this run are both named {repeated[0]!r}; set a different "
            'name = "..." in one of their files'
        )
    if model.modality != "text":
        return
    for suite in draws.values():
        for strategy in strategies:
            if strategy.generate is None:
                model.check(_strategy_probes(suite, strategy, chat_context(strategy)))


def _strategy_probes(suite: Suite, strategy: Strategy, chat: str) -> list[Probe]:
    rendered = [(item.id, strategy.render(item)) for item in suite.items]
    if strategy.mode == "fine-tune":
        return [Probe(text=text, context=chat, item_id=item_id) for item_id, text in rendered]
    # In context: every item before every probe; the longest pair decides, but each pair is
    # checked so the message names a real item.
    probes = [
        Probe(text=item.text, context=strategy.prefix, item_id=item.id) for item in suite.items
    ]
    return probes + [
        Probe(
            text=item.text, context=strategy.context_for(text), item_id=f"{item.id} after {item_id}"
        )
        for item_id, text in rendered
        for item in suite.items
    ]
