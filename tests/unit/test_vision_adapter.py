"""ImageClassifier: scores, batching, exact restore, one entry checked by hand, bad input."""

from __future__ import annotations

import copy

import pytest
import torch
from vision_helpers import make_tiny_cnn, random_probes, state_copy, states_equal, tiny_classifier

from influence_sdk import (
    ConfigError,
    FineTuneRecipe,
    ImageClassifier,
    ItemError,
    NumericalError,
    Probe,
    TorchvisionClassifier,
)
from influence_sdk.estimators import fine_tune_row


def manual_log_prob(module: torch.nn.Module, probe: Probe) -> float:
    with torch.no_grad():
        logits = module(probe.image.unsqueeze(0))[0].double()
    return float(logits[probe.label] - torch.logsumexp(logits, dim=0))


def test_score_is_log_probability_of_the_label_in_float64():
    classifier = tiny_classifier()
    probes = random_probes(5)
    scores = classifier.score(probes)
    assert scores.dtype == torch.float64 and scores.shape == (5,)
    expected = torch.tensor(
        [manual_log_prob(classifier.module, p) for p in probes], dtype=torch.float64
    )
    torch.testing.assert_close(scores, expected, atol=1e-5, rtol=0)


def test_batch_size_does_not_change_scores():
    probes = random_probes(7)
    one = tiny_classifier(batch_size=1).score(probes)
    many = tiny_classifier(batch_size=3).score(probes)
    torch.testing.assert_close(one, many, atol=1e-6, rtol=0)


def test_torchvision_name_is_the_same_adapter():
    assert TorchvisionClassifier is ImageClassifier


@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_fine_tuned_restores_weights_and_batchnorm_buffers_bit_identically(optimizer):
    classifier = tiny_classifier(batch_norm=True)
    before = state_copy(classifier.module)
    recipe = FineTuneRecipe(optimizer=optimizer, lr=0.05, steps=3)
    for k, probe in enumerate(random_probes(4)):
        with classifier.fine_tuned([probe], recipe, seed=k):
            inside = state_copy(classifier.module)
            assert not torch.equal(inside["conv.weight"], before["conv.weight"])
            # eval mode while learning: the running statistics never move
            assert torch.equal(inside["norm.running_mean"], before["norm.running_mean"])
            assert torch.equal(
                inside["norm.num_batches_tracked"], before["norm.num_batches_tracked"]
            )
    assert states_equal(state_copy(classifier.module), before)
    assert not classifier.module.training


def test_one_matrix_entry_matches_an_independent_fine_tune():
    classifier = tiny_classifier(seed=3)
    probes = random_probes(6, seed=1)
    recipe = FineTuneRecipe(optimizer="adamw", lr=1e-3, steps=2)
    base = classifier.score(probes)
    row = fine_tune_row(classifier, [probes[2]], probes, base, recipe, seed=0)

    # Independently: our own copy of the module and a plain torch optimizer.
    own = copy.deepcopy(make_tiny_cnn(seed=3))
    before = manual_log_prob(own, probes[4])
    optimizer = torch.optim.AdamW(own.parameters(), lr=1e-3, weight_decay=0.0)
    for _ in range(2):
        logits = own(probes[2].image.unsqueeze(0))[0].double()  # the score's definition
        loss = -torch.log_softmax(logits, 0)[probes[2].label]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    expected = manual_log_prob(own, probes[4]) - before
    assert row[4].item() == pytest.approx(expected, abs=1e-7)
    assert abs(expected) > 1e-4  # the step really moved the probe


def test_lora_is_refused_with_the_supported_alternative():
    classifier = tiny_classifier()
    with pytest.raises(ConfigError, match="LoRA does not apply.*method 'full'"):
        with classifier.fine_tuned(random_probes(1), FineTuneRecipe(method="lora"), seed=0):
            pass


def test_nan_loss_raises_numerical_error_and_restores():
    classifier = tiny_classifier()
    with torch.no_grad():
        classifier.module.head.bias[0] = float("nan")
    before = state_copy(classifier.module)
    with pytest.raises(
        NumericalError, match="loss became nan on item 'p0'.*lower the learning rate"
    ):
        with classifier.fine_tuned(random_probes(1), FineTuneRecipe(lr=0.1), seed=0):
            pass
    after = state_copy(classifier.module)
    assert all(torch.equal(after[k], before[k]) or k == "head.bias" for k in after)


@pytest.mark.parametrize(
    ("probe", "message"),
    [
        (
            Probe(image=torch.zeros(3, 28, 28), label=1, item_id="x"),
            r"image shape \(3, 28, 28\); this model takes 1×28×28",
        ),
        (Probe(image=torch.zeros(28, 28), label=1, item_id="x"), r"image shape \(28, 28\)"),
        (
            Probe(image=torch.zeros(1, 28, 28), label=10, item_id="x"),
            r"label 10; this model has classes 0\.\.9",
        ),
        (Probe(image=torch.zeros(1, 28, 28), label=-1, item_id="x"), r"label -1"),
        (Probe(image=torch.zeros(1, 28, 28), label=None, item_id="x"), r"label None"),
        (Probe(text="a sentence", item_id="x"), r"no image tensor"),
        (
            Probe(image=torch.full((1, 28, 28), float("nan")), label=1, item_id="x"),
            r"NaN or infinite pixels",
        ),
    ],
)
def test_check_rejects_bad_items_with_one_line_errors(probe, message):
    with pytest.raises(ItemError, match=message) as raised:
        tiny_classifier().check([probe])
    assert "\n" not in str(raised.value) and "'x'" in str(raised.value)


def test_number_of_classes_is_read_from_the_module_when_not_given():
    classifier = ImageClassifier(make_tiny_cnn(num_classes=4), image_shape=(1, 28, 28))
    assert classifier.num_classes == 4
    with pytest.raises(ItemError, match="classes 0..3"):
        classifier.check([Probe(image=torch.zeros(1, 28, 28), label=4, item_id="x")])


def test_describe_names_the_module_and_the_image_shape():
    described = tiny_classifier().describe()
    assert described["class"] == "TinyCNN" and described["image_shape"] == [1, 28, 28]
    assert described["parameters"] == sum(p.numel() for p in make_tiny_cnn().parameters())


def test_resnet18_runs_through_the_adapter_with_a_transform():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None, num_classes=10).eval()
    classifier = ImageClassifier(
        resnet, transform=lambda x: x.repeat(1, 3, 1, 1), image_shape=(1, 32, 32), batch_size=4
    )
    probes = random_probes(5, shape=(1, 32, 32))
    classifier.check(probes)
    before = state_copy(resnet)
    base = classifier.score(probes)

    with torch.no_grad():
        logits = resnet(torch.stack([p.image for p in probes]).repeat(1, 3, 1, 1)).double()
    expected = torch.log_softmax(logits, -1)[
        torch.arange(5), torch.tensor([p.label for p in probes])
    ]
    torch.testing.assert_close(base, expected, atol=1e-5, rtol=0)

    row = fine_tune_row(classifier, [probes[0]], probes, base, FineTuneRecipe(lr=1e-3), seed=0)
    assert row[0].item() > 0  # learning an item raises its own label
    assert states_equal(state_copy(resnet), before)  # BatchNorm buffers included


def test_rescoring_sees_an_image_changed_in_place_and_a_new_probe_list():
    classifier = tiny_classifier()
    probes = random_probes(4)
    first = classifier.score(probes)
    probes[1].image.mul_(0.5)  # the stacked batch kept between calls must not go stale
    expected = torch.tensor(
        [manual_log_prob(classifier.module, p) for p in probes], dtype=torch.float64
    )
    torch.testing.assert_close(classifier.score(probes), expected, atol=1e-5, rtol=0)
    assert classifier.score(probes)[1] != first[1]
    others = random_probes(3, seed=5)
    torch.testing.assert_close(
        classifier.score(others),
        torch.tensor([manual_log_prob(classifier.module, p) for p in others], dtype=torch.float64),
        atol=1e-5,
        rtol=0,
    )
