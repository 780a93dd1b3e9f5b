"""influence-sdk: empirical influence analysis of fine-tuning.

Fine-tune a model on one item, re-score every probe, and check the resulting influence matrix
against desiderata (semantics, sparsity, transitivity, causal direction, negation, ...).

Example:
    >>> from influence_sdk import Analyzer, load_model
    >>> report = Analyzer(load_model(), suites=["transitivity"]).evaluate()  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
"""

from influence_sdk.analyzer import Analyzer
from influence_sdk.comparison import compare
from influence_sdk.errors import (
    ConfigError,
    InfluenceError,
    ItemError,
    ModelLoadError,
    NumericalError,
    PropertyError,
    RunDirectoryError,
    StrategyError,
    SuiteError,
)
from influence_sdk.items import Item, Probe
from influence_sdk.matrix import Contrast, InfluenceMatrix
from influence_sdk.models import (
    DEFAULT_MODEL,
    HFCausalLM,
    ImageClassifier,
    Model,
    TorchvisionClassifier,
    load_model,
    register_model_alias,
)
from influence_sdk.properties import (
    ContrastProperty,
    Property,
    PropertyResult,
    get_property,
    register_property,
)
from influence_sdk.recipe import FineTuneRecipe
from influence_sdk.report import Report
from influence_sdk.strategy import Strategy, load_strategy
from influence_sdk.suites import Suite, SuiteSpec, build_suite, load_jsonl_suite, register_suite

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "Analyzer",
    "ConfigError",
    "Contrast",
    "ContrastProperty",
    "FineTuneRecipe",
    "HFCausalLM",
    "ImageClassifier",
    "InfluenceError",
    "InfluenceMatrix",
    "Item",
    "ItemError",
    "Model",
    "ModelLoadError",
    "NumericalError",
    "Probe",
    "Property",
    "PropertyError",
    "PropertyResult",
    "Report",
    "RunDirectoryError",
    "Strategy",
    "StrategyError",
    "Suite",
    "SuiteError",
    "SuiteSpec",
    "TorchvisionClassifier",
    "build_suite",
    "compare",
    "get_property",
    "load_jsonl_suite",
    "load_model",
    "load_strategy",
    "register_model_alias",
    "register_property",
    "register_suite",
]
