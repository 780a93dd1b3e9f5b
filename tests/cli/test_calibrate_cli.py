"""`influence-sdk calibrate` writes a chosen lr that `evaluate --lr-from` takes, and
`evaluate --first-order` puts the first-order estimate into the report."""

from __future__ import annotations

import json

from click.testing import CliRunner

from influence_sdk.cli import main


def save_tiny_model(lm, folder):
    lm.model.save_pretrained(folder)
    lm.tokenizer.save_pretrained(folder)
    return str(folder)


def test_calibrate_then_evaluate_with_the_chosen_lr_and_first_order(tiny_lm, tmp_path):
    model = save_tiny_model(tiny_lm, tmp_path / "tiny")
    runner = CliRunner()
    calibrated = runner.invoke(
        main,
        [
            "-q",
            "calibrate",
            "--model",
            model,
            "--suite",
            "transitivity",
            "--seeds",
            "2",
            "--items",
            "2",
            "--optimizer",
            "sgd",
            "--lr-min",
            "1e-3",
            "--lr-max",
            "1e-1",
            "--points",
            "3",
            "--output",
            str(tmp_path / "cal"),
        ],
    )
    assert calibrated.exit_code == 0, calibrated.output
    chosen = json.loads((tmp_path / "cal" / "calibration.json").read_text())["lr"]
    assert (tmp_path / "cal" / "calibration.png").exists()
    assert f"chosen lr {chosen:.3g}" in calibrated.output

    evaluated = runner.invoke(
        main,
        [
            "-q",
            "evaluate",
            "--model",
            model,
            "--suite",
            "transitivity",
            "--seeds",
            "1",
            "--optimizer",
            "sgd",
            "--property",
            "memorization",
            "--first-order",
            "--lr-from",
            str(tmp_path / "cal" / "calibration.json"),
            "--output",
            str(tmp_path / "run"),
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["config"]["recipe"]["lr"] == chosen
    assert report["extras"]["first_order"][0]["pearson"] is not None


def test_lr_and_lr_from_together_are_refused(tiny_lm, tmp_path):
    (tmp_path / "calibration.json").write_text('{"lr": 0.001}')
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            "--model",
            save_tiny_model(tiny_lm, tmp_path / "tiny"),
            "--lr",
            "1e-3",
            "--lr-from",
            str(tmp_path / "calibration.json"),
        ],
    )
    assert result.exit_code == 1
    assert "--lr and --lr-from both give a learning rate" in result.output
