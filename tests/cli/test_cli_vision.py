"""CLI: a user's image classifier from module:factory with safetensors weights; bad input."""

from __future__ import annotations

import json
import textwrap

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import save_file

from influence_sdk.cli import main
from influence_sdk.models import fashion

NETS = textwrap.dedent(
    """
    import torch
    from torch import nn
    from influence_sdk import ImageClassifier

    def small_cnn(num_classes=10):
        return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(),
                             nn.Linear(4 * 13 * 13, num_classes))

    def five_classes():
        return small_cnn(num_classes=5)

    def wants_32_pixels():
        return ImageClassifier(small_cnn(), image_shape=(1, 32, 32))
    """
)


@pytest.fixture
def nets(tmp_path, monkeypatch):
    """Importable module ``cli_vision_nets`` and a weights file for its ``small_cnn``."""
    (tmp_path / "cli_vision_nets.py").write_text(NETS)
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict[str, object] = {}
    exec(NETS, namespace)
    torch.manual_seed(0)
    weights = tmp_path / "cnn.safetensors"
    save_file(namespace["small_cnn"]().state_dict(), str(weights))
    return tmp_path, weights


def run(*args: str):
    return CliRunner().invoke(main, ["-q", "evaluate", *args])


def test_user_classifier_runs_from_an_entry_point_with_safetensors_weights(nets):
    folder, weights = nets
    output = folder / "run"
    result = run(
        "--model", "cli_vision_nets:small_cnn", "--weights", str(weights),
        "--suite", "mnist_noise:k=1", "--seeds", "1", "--optimizer", "sgd", "--lr", "0.05",
        "--output", str(output),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "class_structure" in result.output
    report = json.loads((output / "report.json").read_text())
    assert report["config"]["model"] == "cli_vision_nets:small_cnn"
    assert all((output / name).is_file() for name in report["extras"]["figures"].values())


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    return lines[0]


def test_label_out_of_range_exits_1(nets):
    _, _ = nets
    line = one_line_error(
        run("--model", "cli_vision_nets:five_classes", "--suite", "mnist_noise:k=1", "--seeds", "1")
    )
    assert "has label 5; this model has classes 0..4" in line


def test_wrong_image_shape_exits_1(nets):
    line = one_line_error(
        run(
            "--model",
            "cli_vision_nets:wants_32_pixels",
            "--suite",
            "mnist_noise:k=1",
            "--seeds",
            "1",
        )
    )
    assert "image shape (1, 28, 28); this model takes 1×32×32" in line


def test_weights_must_be_safetensors(nets):
    folder, _ = nets
    pickled = folder / "cnn.pt"
    pickled.write_bytes(b"not loaded")
    line = one_line_error(
        run("--model", "cli_vision_nets:small_cnn", "--weights", str(pickled), "--seeds", "1")
    )
    assert "--weights must be a .safetensors file" in line


def test_weights_of_another_architecture_are_refused(nets):
    folder, _ = nets
    other = folder / "other.safetensors"
    save_file({"weight": torch.zeros(3)}, str(other))
    line = one_line_error(
        run("--model", "cli_vision_nets:small_cnn", "--weights", str(other), "--seeds", "1")
    )
    assert "do not fit the module" in line


def test_weights_without_an_entry_point_are_refused(nets):
    _, weights = nets
    line = one_line_error(run("--model", "fashion-cnn", "--weights", str(weights)))
    assert "--weights applies to a --model module:factory" in line


def test_unknown_factory_exits_1(nets):
    line = one_line_error(run("--model", "cli_vision_nets:no_such_factory"))
    assert "has no callable 'no_such_factory'" in line


def test_lora_on_an_image_model_exits_1(nets):
    line = one_line_error(
        run(
            "--model",
            "cli_vision_nets:small_cnn",
            "--suite",
            "mnist_noise:k=1",
            "--seeds",
            "1",
            "--method",
            "lora",
        )
    )
    assert "LoRA does not apply" in line


def test_missing_fashion_mnist_exits_1_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("INFLUENCE_SDK_CACHE", str(tmp_path))
    monkeypatch.setenv("INFLUENCE_SDK_NO_DOWNLOAD", "1")
    monkeypatch.delenv("INFLUENCE_SDK_FASHION_MNIST", raising=False)
    monkeypatch.setattr(fashion, "DEBIAN_FOLDER", tmp_path / "absent")
    line = one_line_error(run("--model", "fashion-cnn", "--suite", "mnist_noise", "--seeds", "1"))
    assert line.endswith(
        "install it with: apt-get update && apt-get install -y dataset-fashion-mnist"
    )
