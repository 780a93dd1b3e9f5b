"""Errors raised by influence-sdk.

Every error the SDK raises on purpose derives from :class:`InfluenceError`, and also from the
builtin that fits it, so ``except ValueError`` keeps working for callers who do not know us::

    InfluenceError
    ├── ConfigError            (ValueError)    a recipe, flag or config value is invalid
    │   └── RunDirectoryError  (ValueError)    --output holds a run made with another config
    ├── SuiteError             (ValueError)    a suite is unknown, empty or malformed
    ├── StrategyError          (ValueError)    a strategy file is unknown or malformed
    ├── PropertyError          (ValueError)    a property is unknown or cannot be evaluated
    ├── ItemError              (ValueError)    an item cannot be used with this model
    ├── ModelLoadError         (OSError)       a model or dataset cannot be found or loaded
    └── NumericalError         (ArithmeticError) a loss or score became NaN or infinite

Messages say what is wrong, show the value received and say what to do, on one line.
"""

from __future__ import annotations


class InfluenceError(Exception):
    """Base class of every error influence-sdk raises on purpose."""


class ConfigError(InfluenceError, ValueError):
    """A configuration value (recipe, flag, run config) is invalid."""


class RunDirectoryError(ConfigError):
    """An output directory holds a run that was made with a different configuration."""


class SuiteError(InfluenceError, ValueError):
    """A suite is unknown, empty, or one of its files is malformed."""


class StrategyError(InfluenceError, ValueError):
    """A strategy is unknown or its file is malformed."""


class PropertyError(InfluenceError, ValueError):
    """A property is unknown or cannot be evaluated on the given results."""


class ItemError(InfluenceError, ValueError):
    """An item cannot be used with this model (too long, empty, wrong shape or label)."""


class ModelLoadError(InfluenceError, OSError):
    """A model, its weights or a dataset cannot be found or loaded."""


class NumericalError(InfluenceError, ArithmeticError):
    """A loss or a score became NaN or infinite."""
