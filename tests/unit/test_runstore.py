"""The run directory: resume, refusal of another config or edited files, locking, cleanup."""

from __future__ import annotations

import json
import os

import pytest

from influence_sdk import Analyzer, FineTuneRecipe, RunDirectoryError
from influence_sdk.config import RunConfig
from influence_sdk.runstore import RunStore, path_component, write_atomic

CONFIG = RunConfig.build(
    model="tiny", suites=["transitivity"], properties=["memorization"], seeds=[0]
)


def analyzer(lm, output, suites=("transitivity",), strategies=None, lr=1e-3, overwrite=False):
    return Analyzer(
        lm, suites=list(suites), seeds=[0], recipe=FineTuneRecipe(lr=lr, steps=2),
        properties=["memorization"], strategies=strategies, output=output, overwrite=overwrite,
        progress=False,
    )  # fmt: skip


def rows(output):
    return sorted(output.rglob("row-*.json"))


def test_resume_recomputes_exactly_the_missing_rows(tiny_lm, tmp_path):
    output = tmp_path / "run"
    first = analyzer(tiny_lm, output)
    first.evaluate()
    report = (output / "report.json").read_bytes()
    assert (first.store.computed, first.store.loaded) == (13, 0)  # base + 12 rows

    missing = rows(output)[3:8]
    for path in missing:
        path.unlink()
    (output / "report.json").unlink()
    again = analyzer(tiny_lm, output)
    again.evaluate()
    assert (again.store.computed, again.store.loaded) == (len(missing), 13 - len(missing))
    assert (output / "report.json").read_bytes() == report


def test_another_config_is_refused_with_the_differing_keys(tiny_lm, tmp_path):
    analyzer(tiny_lm, tmp_path).evaluate()
    with pytest.raises(RunDirectoryError, match=r"another config \(recipe\.lr: 0\.001 -> 0\.002\)"):
        analyzer(tiny_lm, tmp_path, lr=2e-3).evaluate()


def test_overwrite_discards_the_old_run(tiny_lm, tmp_path):
    analyzer(tiny_lm, tmp_path).evaluate()
    redo = analyzer(tiny_lm, tmp_path, lr=2e-3, overwrite=True)
    redo.evaluate()
    assert redo.store.loaded == 0 and redo.store.computed == 13
    assert json.loads((tmp_path / "config.json").read_text())["recipe"]["lr"] == 2e-3


def test_an_edited_suite_file_is_not_resumed_from_its_old_units(tiny_lm, tmp_path):
    suite = tmp_path / "mine.jsonl"
    lines = [{"id": "a", "text": "a klarbu is a pimjon"}, {"id": "b", "text": "all pimjons"}]
    suite.write_text("".join(json.dumps(line) + "\n" for line in lines))
    analyzer(tiny_lm, tmp_path / "run", suites=[str(suite)]).evaluate()

    lines[1]["text"] = "all pimjons have a zorvek"  # same ids, same config, other text
    suite.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(RunDirectoryError, match=r"computed from other items or another strategy"):
        analyzer(tiny_lm, tmp_path / "run", suites=[str(suite)]).evaluate()


def test_an_edited_strategy_file_is_not_resumed_from_its_old_units(tiny_lm, tmp_path):
    strategy = tmp_path / "quoted.toml"
    strategy.write_text('mode = "fine-tune"\ntemplate = "\\"{text}\\""\n')
    analyzer(tiny_lm, tmp_path / "run", strategies=[str(strategy)]).evaluate()

    strategy.write_text('mode = "fine-tune"\ntemplate = "Note: {text}"\n')
    with pytest.raises(
        RunDirectoryError, match=r"strategy 'quoted', seed 0 were computed from other"
    ):
        analyzer(tiny_lm, tmp_path / "run", strategies=[str(strategy)]).evaluate()


def test_a_directory_in_use_by_another_process_is_refused(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    fd = os.open(tmp_path / ".lock", os.O_RDWR | os.O_CREAT)  # as another process would hold it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(RunDirectoryError, match="being used by another running"):
            RunStore(tmp_path, CONFIG)
    finally:
        os.close(fd)
    RunStore(tmp_path, CONFIG)  # free again


def test_opening_removes_temporary_files_of_a_killed_run(tmp_path):
    seed_folder = tmp_path / "units" / "transitivity" / "plain" / "seed-0"
    seed_folder.mkdir(parents=True)
    leftover = seed_folder / ".row-0003.json.k2j4.tmp"
    leftover.write_text('{"item": "t0')  # what a SIGKILL during a write leaves
    RunStore(tmp_path, CONFIG)
    assert not leftover.exists()


def test_an_unreadable_unit_is_computed_again(tiny_lm, tmp_path):
    analyzer(tiny_lm, tmp_path).evaluate()
    report = (tmp_path / "report.json").read_bytes()
    rows(tmp_path)[0].write_text("{not json")  # edited by hand: never written by the SDK
    again = analyzer(tiny_lm, tmp_path)
    again.evaluate()
    assert again.store.computed == 1
    assert (tmp_path / "report.json").read_bytes() == report


def test_write_atomic_leaves_no_temporary_file_and_follows_the_umask(tmp_path):
    target = tmp_path / "a" / "unit.json"
    write_atomic(target, "{}")
    assert target.read_text() == "{}"
    assert [p.name for p in target.parent.iterdir()] == ["unit.json"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    "names",
    [("a/b", "a_b", "a%2Fb"), ("..", ".", "%2E."), ("x" * 200, "x" * 201), ("", "%")],
)
def test_path_components_are_distinct_single_safe_names(names):
    escaped = [path_component(name) for name in names]
    assert len(set(escaped)) == len(names)
    for component in escaped:
        assert "/" not in component and "\\" not in component
        assert component not in ("", ".", "..") and not component.startswith(".")
        assert len(component) <= 120
