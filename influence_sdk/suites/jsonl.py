"""User suites from JSONL files, read through ``datasets`` (offline, local file).

One JSON object per line: ``{"id": "...", "text": "...", "tags": {...}}``; ``tags`` optional.
A line ``{"contrast": {"property": ..., "trained_on": [...], "tested_on": [...],
"baseline": [...], "expected": 1}}`` declares an expectation for the contrast properties.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from influence_sdk.errors import SuiteError
from influence_sdk.items import Item
from influence_sdk.matrix import Contrast
from influence_sdk.suites.base import Suite

ITEM_KEYS = {"id", "text", "tags"}
CONTRAST_KEYS = {"property", "trained_on", "tested_on", "baseline", "expected", "note"}


def load_jsonl_suite(path: str | Path) -> Suite:
    """Read a suite file; every malformed line is an error naming the file and the line."""
    path = Path(path)
    lines = _read_lines(path)
    items: list[Item] = []
    contrasts: list[tuple[int, Contrast]] = []  # with line numbers, for error messages
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _parse_line(path, number, line)
        if "contrast" in record:
            contrasts.append((number, _contrast(path, number, record)))
        else:
            item = _item(path, number, record)
            if any(earlier.id == item.id for earlier in items):
                raise SuiteError(
                    f"{path} line {number}: item id {item.id!r} is used twice; make ids unique"
                )
            items.append(item)
    ids = {item.id for item in items}
    for number, contrast in contrasts:
        named = (*contrast.trained_on, *contrast.tested_on, *contrast.baseline)
        unknown = [item_id for item_id in named if item_id not in ids]
        if unknown:
            raise SuiteError(
                f"{path} line {number}: contrast names unknown item ids {unknown}; "
                "use ids of the file's items"
            )
    if not items:
        raise SuiteError(
            f'suite file {path} has no items; add lines like {{"id": "a", "text": "..."}}'
        )
    if len(items) < 2:
        raise SuiteError(f"suite file {path} has 1 item; an influence matrix needs at least 2")
    _check_with_datasets(path, items)
    return Suite(path.stem, items, [c for _, c in contrasts], description=f"user suite from {path}")


def _read_lines(path: Path) -> list[str]:
    if path.is_dir():
        raise SuiteError(f"suite file {path} is a directory; pass a .jsonl file or a suite name")
    if not path.is_file():
        raise SuiteError(f"suite file {path} does not exist; pass a .jsonl path or a suite name")
    try:
        # Split on newlines only: str.splitlines() would also split inside a JSON string
        # holding U+2028 or U+0085, and then name the wrong line. A UTF-8 BOM is allowed.
        return path.read_bytes().decode("utf-8-sig").split("\n")
    except UnicodeDecodeError as err:
        raise SuiteError(
            f"suite file {path} is not UTF-8 (byte {err.start}); save it as UTF-8"
        ) from None


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise SuiteError(
            f"{path} line {number}: not valid JSON ({err.msg}); fix that line"
        ) from None
    if not isinstance(record, dict):
        raise SuiteError(
            f"{path} line {number}: expected a JSON object, got {type(record).__name__}"
        )
    return record


def _item(path: Path, number: int, record: dict[str, Any]) -> Item:
    unknown = set(record) - ITEM_KEYS
    if unknown:
        raise SuiteError(
            f"{path} line {number}: unknown keys {sorted(unknown)}; allowed: id, text, tags"
        )
    item_id, text, tags = record.get("id"), record.get("text"), record.get("tags", {})
    if not isinstance(item_id, (str, int)) or isinstance(item_id, bool) or str(item_id) == "":
        raise SuiteError(f"{path} line {number}: 'id' must be a non-empty string, got {item_id!r}")
    if not str(item_id).isprintable():
        raise SuiteError(
            f"{path} line {number}: 'id' {str(item_id)!r} contains control characters or line "
            "breaks; use printable ids"
        )
    if not isinstance(text, str) or not text.strip():
        raise SuiteError(f"{path} line {number}: 'text' must be a non-empty string, got {text!r}")
    if not isinstance(tags, dict):
        raise SuiteError(
            f"{path} line {number}: 'tags' must be an object, got {type(tags).__name__}"
        )
    if not _encodable(item_id) or not _encodable(text):
        raise SuiteError(
            f"{path} line {number}: 'id' or 'text' holds an unpaired surrogate escape (\\ud8xx); "
            "write the character itself or a valid surrogate pair"
        )
    return Item(id=str(item_id), text=text, tags=tags)


def _encodable(value: object) -> bool:
    """Whether ``value`` (as text) can be written as UTF-8: reports and tokenizers need that."""
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _contrast(path: Path, number: int, record: dict[str, Any]) -> Contrast:
    spec = record["contrast"]
    if set(record) != {"contrast"} or not isinstance(spec, dict):
        raise SuiteError(f'{path} line {number}: a contrast line is {{"contrast": {{...}}}} alone')
    unknown = set(spec) - CONTRAST_KEYS
    missing = {"property", "trained_on", "tested_on", "baseline"} - set(spec)
    if unknown or missing:
        raise SuiteError(
            f"{path} line {number}: contrast has unknown keys {sorted(unknown)} / missing "
            f"{sorted(missing)}; needed: property, trained_on, tested_on, baseline"
        )
    lists = [spec[key] for key in ("trained_on", "tested_on", "baseline")]
    if not all(isinstance(v, list) and v and all(isinstance(i, str) for i in v) for v in lists):
        raise SuiteError(
            f"{path} line {number}: trained_on, tested_on, baseline must be non-empty lists of ids"
        )
    expected = spec.get("expected", 1)
    if (
        isinstance(expected, bool)
        or expected not in (1, -1)
        or not isinstance(spec["property"], str)
    ):
        raise SuiteError(f"{path} line {number}: 'expected' must be 1 or -1 and 'property' a name")
    return Contrast.from_dict(spec)


def _check_with_datasets(path: Path, items: list[Item]) -> None:
    """Load the item lines through ``datasets`` too, so a user suite is also a valid dataset."""
    from datasets import Dataset

    Dataset.from_list([{"id": item.id, "text": item.text} for item in items])
