"""Checks on a ``--model`` folder, made before transformers sees it.

A path-like value that does not exist would otherwise be tried as a hub id, which without
network means tens of seconds of retries before an error. Weights are read through safetensors
only: a user's folder is never unpickled, since unpickling can run code.
"""

from __future__ import annotations

import os
from pathlib import Path

from influence_sdk.errors import ModelLoadError


def looks_like_path(name: str) -> bool:
    """Whether ``name`` can only be a filesystem path, never a hub id (``org/name``)."""
    return (
        name.startswith(("/", "./", "../", "~", "."))
        or "\\" in name
        or name.count("/") > 1
        or name.endswith("/")
        or os.path.isabs(name)
    )


def check_model_folder(name: str) -> None:
    """Fail fast on a ``--model`` path that cannot be loaded, without contacting any hub.

    A path-like value that does not exist would otherwise be tried as a hub id (tens of seconds
    of retries without network). A folder must hold ``config.json`` and safetensors weights:
    pickled weights (``*.bin``, ``*.pt``) are never loaded, since unpickling can run code.
    """
    path = Path(name).expanduser()
    if not path.exists():
        if looks_like_path(name):
            raise ModelLoadError(
                f"model folder {name!r} does not exist; pass an existing model folder, a hub id "
                "such as HuggingFaceTB/SmolLM2-135M-Instruct, or omit --model for the default"
            )
        return  # a hub id (or an alias handled elsewhere)
    if not path.is_dir():
        raise ModelLoadError(
            f"--model {name!r} is a file; pass the folder that holds config.json and the weights"
        )
    if not (path / "config.json").is_file():
        raise ModelLoadError(
            f"model folder {name!r} has no config.json; pass a folder saved with save_pretrained()"
        )
    if not any(path.glob("*.safetensors")) and not any(path.glob("*.gguf")):
        pickled = sorted(p.name for p in path.iterdir() if p.suffix in (".bin", ".pt", ".pth"))
        found = f" (found {', '.join(pickled[:3])})" if pickled else ""
        raise ModelLoadError(
            f"model folder {name!r} has no .safetensors weights{found}; influence-sdk never "
            "unpickles weights: convert them with model.save_pretrained(folder) (safetensors)"
        )
