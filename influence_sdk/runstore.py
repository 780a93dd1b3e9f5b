"""The run directory: resolved config plus every finished unit of work, written atomically.

Layout of ``DIR``::

    config.json                               resolved RunConfig (written first)
    units/<suite>/<strategy>/seed-<n>/base.json   base scores, items and texts of that draw
    units/<suite>/<strategy>/seed-<n>/row-<k>.json  row k of the influence matrix
    report.json, report.md                    written last

Every file is written to a temporary name in the same folder, flushed, then renamed, so a
crash leaves either the whole file or none. Rerunning on the same DIR loads finished units.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from influence_sdk.config import RunConfig, config_differences
from influence_sdk.errors import RunDirectoryError


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class RunStore:
    """Finished units of one run, on disk (``root`` given) or in memory only (``root=None``)."""

    def __init__(self, root: str | Path | None, config: RunConfig, overwrite: bool = False):
        self.root = Path(root) if root is not None else None
        self.computed = 0  # units computed in this process (not loaded), for resume checks
        if self.root is not None:
            self._open(config, overwrite)

    def _open(self, config: RunConfig, overwrite: bool) -> None:
        assert self.root is not None
        saved = self.root / "config.json"
        new = config.model_dump(mode="json")
        if saved.exists() and not overwrite:
            try:
                old = json.loads(saved.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                old = {"<unreadable config.json>": True}
            differences = config_differences(old, new)
            if differences:
                raise RunDirectoryError(
                    f"{self.root} holds a run made with another config ({'; '.join(differences)}); "
                    "use another --output, or --overwrite to discard it"
                )
        elif overwrite and self.root.exists():
            for name in ("units", "report.json", "report.md", "config.json"):
                target = self.root / name
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
        if self.root.exists() and not self.root.is_dir():
            raise RunDirectoryError(f"--output {self.root} is a file; pass a directory")
        write_atomic(saved, json.dumps(new, indent=2, sort_keys=True) + "\n")

    def _unit(self, suite: str, strategy: str, seed: int, name: str) -> Path | None:
        if self.root is None:
            return None
        safe_suite = suite.replace(os.sep, "_")
        return self.root / "units" / safe_suite / strategy / f"seed-{seed}" / f"{name}.json"

    def load(self, suite: str, strategy: str, seed: int, name: str) -> Any | None:
        """A finished unit, or None if it was never finished."""
        path = self._unit(suite, strategy, seed, name)
        if path is None or not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def save(self, suite: str, strategy: str, seed: int, name: str, value: Any) -> None:
        """Record a finished unit (atomically) and count it as computed."""
        self.computed += 1
        path = self._unit(suite, strategy, seed, name)
        if path is not None:
            write_atomic(path, json.dumps(value))

    def write(self, name: str, text: str) -> None:
        """Write a top-level file (the report) atomically."""
        if self.root is not None:
            write_atomic(self.root / name, text)
