"""The run directory: resolved config plus every finished unit of work, written atomically.

Layout of ``DIR`` (names in ``<>`` are escaped so that any suite or strategy name is one safe
folder name, see :func:`path_component`)::

    config.json                                     resolved RunConfig (written first)
    .lock                                           held while a run uses DIR
    units/<suite>/<strategy>/seed-<n>/draw.json     fingerprint of the items and strategy
    units/<suite>/<strategy>/seed-<n>/base.json     base scores, items and texts of that draw
    units/<suite>/<strategy>/seed-<n>/row-<k>.json  row k of the influence matrix
    report.json, report.md                          written last

Every file is written to a temporary name in the same folder, flushed, then renamed, so a
crash (even SIGKILL) leaves either the whole file or none; leftover temporary files are removed
when the directory is opened again. Rerunning on the same DIR loads finished units instead of
computing them. A DIR made by another config, or whose units were computed from other items or
another strategy file, is refused unless ``overwrite`` is given.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from influence_sdk.config import RunConfig, config_differences
from influence_sdk.errors import RunDirectoryError

logger = logging.getLogger(__name__)

RUN_FILES = ("units", "report.json", "report.md", "config.json")
_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
_HELD_LOCKS: dict[Path, int] = {}  # run directory -> lock fd held by this process


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise RunDirectoryError(
            f"cannot write {path} ({err.strerror or err}); pass a writable --output directory"
        ) from err
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600 files; run files follow the umask
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as err:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(err, OSError):  # disk full, permissions changed while running, ...
            raise RunDirectoryError(
                f"cannot write {path} ({err.strerror or err}); free space or pass another --output"
            ) from err
        raise


def _umask() -> int:
    current = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(current)
    return current


def path_component(name: str) -> str:
    """``name`` as one folder name: letters, digits, ``-``, ``_`` and inner ``.`` kept, the
    rest written ``%XX`` (UTF-8 bytes).

    The escaping is injective, so two different suite (or strategy) names never share a folder,
    and no name can point outside the run directory (``..``, ``/``). Very long names are cut
    and made unique with a hash.
    """
    escaped = (
        "".join(
            char if char in _SAFE or (char == "." and position > 0) else _escape(char)
            for position, char in enumerate(name)
        )
        or "%"
    )
    if len(escaped) > 120:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        escaped = f"{escaped[:100]}~{digest}"
    return escaped


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def draw_fingerprint(items: Sequence[Any], strategy: dict[str, Any]) -> str:
    """A hash of what a draw's numbers depend on besides the config: items and strategy."""
    digest = hashlib.sha256()
    for item in items:
        record = [item.id, item.text, item.label]  # tags change no number: left out
        digest.update(json.dumps(record, ensure_ascii=True).encode("ascii"))
        if item.image is not None:  # image items: hash the pixels themselves
            digest.update(item.image.detach().cpu().contiguous().numpy().tobytes())
    digest.update(json.dumps(strategy, sort_keys=True, ensure_ascii=True).encode("ascii"))
    return digest.hexdigest()


class RunStore:
    """Finished units of one run, on disk (``root`` given) or in memory only (``root=None``).

    Attributes:
        computed: Units computed (and saved) by this process.
        loaded: Finished units found in the directory and reused instead of computed.
    """

    def __init__(self, root: str | Path | None, config: RunConfig, overwrite: bool = False):
        self.root = Path(root) if root is not None else None
        self.computed = 0
        self.loaded = 0
        if self.root is not None:
            self._open(config, overwrite)

    def _open(self, config: RunConfig, overwrite: bool) -> None:
        assert self.root is not None  # only called with a root
        if self.root.exists() and not self.root.is_dir():
            raise RunDirectoryError(f"--output {self.root} is a file; pass a directory")
        self._lock()
        saved = self.root / "config.json"
        new = config.model_dump(mode="json")
        if overwrite:
            self._discard()
        elif saved.exists() or saved.is_symlink():
            old = _read_saved_config(saved)
            if old is None:
                raise RunDirectoryError(
                    f"{saved} is not a config written by influence-sdk (unreadable or not a JSON "
                    "object); use another --output, or --overwrite to discard that directory"
                )
            differences = config_differences(old, new)
            if differences:
                raise RunDirectoryError(
                    f"{self.root} holds a run made with another config ({_summary(differences)}); "
                    "use another --output, or --overwrite to discard it"
                )
        self._remove_temporary_files()
        write_atomic(saved, json.dumps(new, indent=2, sort_keys=True) + "\n")

    def _lock(self) -> None:
        """Hold ``DIR/.lock`` so that two processes never fill one run directory at once."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; documented in docs/limitations.md
            return
        assert self.root is not None
        key = self.root.resolve()
        if key in _HELD_LOCKS:  # an earlier run of this process: it is over, take its lock
            os.close(_HELD_LOCKS.pop(key))
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise RunDirectoryError(
                f"cannot create the run directory {self.root} ({err.strerror or err}); "
                "pass a writable --output directory"
            ) from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunDirectoryError(
                f"{self.root} is being used by another running influence-sdk process; wait for "
                "it to finish or pass another --output"
            ) from None
        _HELD_LOCKS[key] = fd

    def _discard(self) -> None:
        assert self.root is not None
        for name in RUN_FILES:
            target = self.root / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def _remove_temporary_files(self) -> None:
        """Delete what a killed process left half-written (never a finished file)."""
        assert self.root is not None
        # Only the names write_atomic gives its temporary files, only where it writes them: a
        # user's own hidden files under --output are never touched.
        candidates = [*self.root.glob(".*.json.*.tmp"), *self.root.glob(".*.md.*.tmp")]
        units = self.root / "units"
        if units.is_dir() and not units.is_symlink():
            candidates += units.rglob(".*.json.*.tmp")
        for leftover in candidates:
            if leftover.is_file():
                leftover.unlink(missing_ok=True)
                logger.debug("removed the unfinished file %s", leftover)

    def _folder(self, suite: str, strategy: str, seed: int) -> Path | None:
        if self.root is None:
            return None
        return (
            self.root / "units" / path_component(suite) / path_component(strategy) / f"seed-{seed}"
        )

    def check_draw(self, suite: str, strategy: str, seed: int, fingerprint: str) -> None:
        """Refuse units computed from other items or another strategy (an edited file).

        The config names a suite file or strategy file by its path; if the file changed since
        its units were saved, reusing them would mix old and new numbers in one matrix.
        """
        folder = self._folder(suite, strategy, seed)
        if folder is None:
            return
        marker = folder / "draw.json"
        if marker.is_file():
            try:
                saved = json.loads(marker.read_text(encoding="utf-8")).get("fingerprint")
            except (OSError, ValueError, AttributeError):
                saved = None
            if saved == fingerprint:
                return
            raise RunDirectoryError(
                f"{self.root}: the units of suite {suite!r}, strategy {strategy!r}, seed {seed} "
                "were computed from other items or another strategy file (was a file edited?); "
                "use another --output, or --overwrite to discard them"
            )
        write_atomic(marker, json.dumps({"fingerprint": fingerprint}) + "\n")

    def load(
        self,
        suite: str,
        strategy: str,
        seed: int,
        name: str,
        valid: Callable[[Any], bool] | None = None,
    ) -> Any | None:
        """A finished unit, or None if it was never finished (or is not a unit of this shape).

        ``valid`` checks the unit's shape: a file edited by hand or written by another version
        is computed again instead of crashing the run.
        """
        folder = self._folder(suite, strategy, seed)
        path = folder / f"{name}.json" if folder is not None else None
        if path is None or not path.is_file():
            return None
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:  # not written by us: atomic writes never truncate
            logger.warning("ignoring the unreadable unit %s (%s); computing it again", path, err)
            return None
        if valid is not None and not valid(value):
            logger.warning("ignoring the malformed unit %s; computing it again", path)
            return None
        self.loaded += 1
        return value

    def save(self, suite: str, strategy: str, seed: int, name: str, value: Any) -> None:
        """Record a finished unit (atomically) and count it as computed."""
        self.computed += 1
        folder = self._folder(suite, strategy, seed)
        if folder is not None:
            write_atomic(folder / f"{name}.json", json.dumps(value))
            logger.debug("saved unit %s/%s", folder, name)

    def write(self, name: str, text: str) -> None:
        """Write a top-level file (the report) atomically."""
        if self.root is not None:
            write_atomic(self.root / name, text)


def _read_saved_config(path: Path) -> dict[str, Any] | None:
    """The config saved in a run directory, or None if it is not a JSON object."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8, not JSON, a folder, ...
        return None
    return saved if isinstance(saved, dict) else None


def _summary(differences: list[str], shown: int = 6, width: int = 120) -> str:
    """The first few differing keys, each cut to ``width`` characters, on one line."""
    parts = [d if len(d) <= width else d[: width - 3] + "..." for d in differences[:shown]]
    if len(differences) > shown:
        parts.append(f"and {len(differences) - shown} more keys")
    return "; ".join(parts).replace("\n", " ")


def _numbers(values: Any, length: int) -> bool:
    return (
        isinstance(values, list)
        and len(values) == length
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    )


def row_unit(length: int) -> Callable[[Any], bool]:
    """Shape of a saved matrix row: ``{"item": id, "values": [length numbers]}``."""
    return lambda unit: (
        isinstance(unit, dict)
        and isinstance(unit.get("item"), str)
        and _numbers(unit.get("values"), length)
    )


def base_unit(length: int) -> Callable[[Any], bool]:
    """Shape of saved base scores: ``{"items": [...], "texts": [...], "scores": [...]}``."""
    return lambda unit: (
        isinstance(unit, dict)
        and isinstance(unit.get("items"), list)
        and isinstance(unit.get("texts"), list)
        and _numbers(unit.get("scores"), length)
    )


def generated_unit(length: int) -> Callable[[Any], bool]:
    """Shape of saved generations: ``{"items": [...], "generated": [length strings]}``."""
    return lambda unit: (
        isinstance(unit, dict)
        and isinstance(unit.get("items"), list)
        and isinstance(unit.get("generated"), list)
        and len(unit["generated"]) == length
        and all(isinstance(text, str) for text in unit["generated"])
    )
