"""Suites: the invented-word sampler, the paper's domains, the control, and JSONL user suites."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest

from influence_sdk import SuiteError, build_suite, load_jsonl_suite
from influence_sdk.properties import PROPERTIES
from influence_sdk.suites import SUITES
from influence_sdk.suites.words import invented_words, rng_for

PAPER_SUITES = ["transitivity", "belongs_to", "chain_induces", "squares"]
SEEDS = range(20)
TEXT_SUITES = sorted(name for name, spec in SUITES.items() if spec.modality == "text")


# ---- invented words ---------------------------------------------------------------------


def test_invented_words_are_reproducible_for_a_seed():
    first = invented_words(8, random.Random("transitivity:3"))
    again = invented_words(8, random.Random("transitivity:3"))
    assert first == again


def test_invented_words_are_distinct_within_a_draw():
    for seed in range(50):
        words = invented_words(40, rng_for("stress", seed))
        assert len(set(words)) == 40


def test_invented_words_are_lowercase_letters_of_plausible_length():
    # 2 to 5 syllables of 2 to 4 letters each.
    for word in invented_words(200, random.Random(0)):
        assert re.fullmatch(r"[a-z]{4,20}", word), word


def test_different_seeds_draw_different_words():
    draws = {tuple(invented_words(5, rng_for("transitivity", seed))) for seed in SEEDS}
    assert len(draws) == len(SEEDS)


@pytest.mark.parametrize("name", PAPER_SUITES)
def test_paper_suites_are_reproducible_and_differ_between_seeds(name):
    texts = [[item.text for item in build_suite(name, seed).items] for seed in SEEDS]
    assert texts[0] == [item.text for item in build_suite(name, 0).items]
    assert len({tuple(t) for t in texts}) == len(SEEDS)


# ---- the paper's domains (PAPER.md §3) -----------------------------------------------------


def entities_of_transitivity(seed: int) -> tuple[str, ...]:
    """A, B, C read back from the first item's text, D and E from the control item."""
    items = {item.id: item.text for item in build_suite("transitivity", seed).items}
    a, b, c = re.fullmatch(r"a (\w+) is a (\w+)\nall (\w+)s have a (\w+)", items["t01"]).group(
        1, 2, 4
    )
    d, e = re.fullmatch(r"a (\w+) is a (\w+)", items["t12"]).groups()
    return a, b, c, d, e


def test_transitivity_has_the_papers_items_and_categories():
    suite = build_suite("transitivity", 0)
    a, b, c, d, e = entities_of_transitivity(0)
    expected = [
        (f"a {a} is a {b}\nall {b}s have a {c}", "memorization", "+"),
        (f"a {a} is a {b}", "memorization", "+"),
        (f"all {b}s have a {c}", "memorization", "+"),
        (f"one example of a {b} is a {a}", "rewording", "+"),
        (f"a {a} is not a {b}", "logic", "-"),
        (f"a {a} does not have a {c}", "logic", "-"),
        (f"a {a} has a {c}", "composition", "+"),
        (f"{a}s have {c}s", "composition", "+"),
        (a, "concept introduction", "small+"),
        (b, "concept introduction", "small+"),
        (c, "concept introduction", "small+"),
        (f"a {d} is a {e}", "unrelated control", "0"),
    ]
    got = [(item.text, item.tags["category"], item.tags["expected"]) for item in suite.items]
    assert got == expected


def test_entities_are_distinct_within_every_transitivity_draw():
    for seed in SEEDS:
        assert len(set(entities_of_transitivity(seed))) == 5


def test_belongs_to_has_the_papers_ten_items():
    suite = build_suite("belongs_to", 0)
    texts = [item.text for item in suite.items]
    a, b = re.fullmatch(r"(\w+) belongs to the set of (\w+)\.", texts[0]).groups()
    c = re.fullmatch(rf"{b} belongs to the set of (\w+)\.", texts[5]).group(1)
    assert len({a, b, c}) == 3
    assert texts == [
        f"{a} belongs to the set of {b}.",
        f"{b} is a set that contains {a}.",
        f"{b} belongs to the set of {a}.",
        f"{a} does not belong to the set of {c}.",
        f"{a} might belong to the set of {c}.",
        f"{b} belongs to the set of {c}.",
        f"{a} belongs to the set of {c}.",
        f"{a} belongs to the set of {b}, and {b} belongs to the set of {c}.",
        f"{a} belongs to the set of {b}.\n{b} belongs to the set of {c}.",
        "Frogs and toads often hibernate in winter.",
    ]
    categories = Counter(item.tags["category"] for item in suite.items)
    assert categories["unrelated control"] == 1 and categories["conclusion"] == 1


def test_chain_induces_has_the_papers_five_chains():
    suite = build_suite("chain_induces", 0)
    pattern = re.compile(r"Whenever (\w+) happens, it causes (\w+) to happen\.")
    chains = [
        [pattern.fullmatch(line).groups() for line in item.text.split("\n")] for item in suite.items
    ]
    ((a, z),) = chains[0]
    b = chains[1][0][1]
    c, d = chains[3][1][1], chains[3][2][1]
    assert len({a, b, c, d, z}) == 5
    assert chains == [
        [(a, z)],
        [(a, b)],
        [(a, b), (b, z)],
        [(a, b), (b, c), (c, d), (d, z)],
        [(z, a)],
    ]
    assert suite.items[4].tags["category"] == "reversed"


def test_squares_has_the_papers_six_items_plus_the_true_conclusion():
    suite = build_suite("squares", 0)
    texts = [item.text for item in suite.items]
    b = re.fullmatch(r"every square is a (\w+)\.", texts[0]).group(1)
    assert texts == [
        f"every square is a {b}.",
        f"every {b} is a rectangle.",
        f"every square is a {b}, and every {b} is a rectangle.",
        f"every square is a {b}.\nevery {b} is a rectangle.",
        f"every {b} is a square.\nevery {b} is a rectangle.",
        "every rectangle is a square.",
        "every square is a rectangle.",  # s07: added by design (suites/paper.py)
    ]
    assert suite.items[-1].id == "s07"


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("transitivity", 12),
        ("belongs_to", 10),
        ("chain_induces", 5),
        ("squares", 7),
        ("random_claim", 10),
    ],
)
def test_suite_sizes(name, count):
    for seed in (0, 1, 2):
        assert len(build_suite(name, seed).items) == count


@pytest.mark.parametrize("name", TEXT_SUITES)
def test_every_item_has_a_category_and_an_expected_sign(name):
    for item in build_suite(name, 0).items:
        assert isinstance(item.tags.get("category"), str) and item.tags["category"]
        assert item.tags.get("expected") in {"+", "-", "0", "small+"}


@pytest.mark.parametrize("name", TEXT_SUITES)
def test_every_contrast_names_existing_items_and_a_registered_property(name):
    for seed in (0, 1, 2):
        suite = build_suite(name, seed)
        ids = {item.id for item in suite.items}
        for contrast in suite.contrasts:
            assert contrast.property in PROPERTIES
            assert (
                set(contrast.trained_on) | set(contrast.tested_on) | set(contrast.baseline) <= ids
            )
            assert contrast.expected in (1, -1)


def test_random_claim_draws_ten_distinct_claims_reproducibly():
    draws = [build_suite("random_claim", seed) for seed in range(5)]
    for suite in draws:
        texts = [item.text for item in suite.items]
        assert len(set(texts)) == 10
    assert [i.text for i in draws[0].items] == [
        i.text for i in build_suite("random_claim", 0).items
    ]
    assert len({tuple(i.text for i in s.items) for s in draws}) > 1


def test_random_claim_ids_stay_tied_to_their_sentence():
    text_of: dict[str, str] = {}
    for seed in range(10):
        for item in build_suite("random_claim", seed).items:
            assert text_of.setdefault(item.id, item.text) == item.text


def test_unknown_suite_lists_the_valid_ones():
    with pytest.raises(SuiteError) as caught:
        build_suite("nonexistent", 0)
    for name in SUITES:
        assert name in str(caught.value)


# ---- JSONL user suites --------------------------------------------------------------------


def write_lines(tmp_path, lines: list[str], name: str = "mine.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def item_line(item_id: str, text: str, **extra) -> str:
    return json.dumps({"id": item_id, "text": text, **extra})


def test_jsonl_suite_loads_items_tags_and_contrasts(tmp_path):
    contrast = {
        "property": "rewording",
        "trained_on": ["a"],
        "tested_on": ["b"],
        "baseline": ["c"],
        "expected": -1,
        "note": "why",
    }
    path = write_lines(
        tmp_path,
        [
            item_line("a", "a klarbu is a pimjon", tags={"category": "premise"}),
            "",
            item_line("b", "one pimjon is a klarbu"),
            item_line("c", "Frogs hibernate."),
            json.dumps({"contrast": contrast}),
        ],
    )

    suite = load_jsonl_suite(path)

    assert suite.name == "mine"
    assert [item.id for item in suite.items] == ["a", "b", "c"]
    assert suite.items[0].tags == {"category": "premise"}
    assert suite.items[1].tags == {}
    (loaded,) = suite.contrasts
    assert loaded.to_dict() == contrast


def test_build_suite_accepts_a_jsonl_path(tmp_path):
    path = write_lines(tmp_path, [item_line("a", "one text"), item_line("b", "another text")])
    assert [item.text for item in build_suite(str(path), 0).items] == ["one text", "another text"]


GOOD = item_line("ok", "a fine line")
MALFORMED = {
    "invalid json": "{not json",
    "not an object": "[1, 2]",
    "unknown key": json.dumps({"id": "x", "text": "t", "label": 3}),
    "missing id": json.dumps({"text": "t"}),
    "empty text": json.dumps({"id": "x", "text": "  "}),
    "text not a string": json.dumps({"id": "x", "text": 5}),
    "tags not an object": json.dumps({"id": "x", "text": "t", "tags": ["a"]}),
    "contrast with extra key": json.dumps(
        {
            "contrast": {
                "property": "p",
                "trained_on": ["ok"],
                "tested_on": ["ok"],
                "baseline": ["ok"],
            },
            "id": "x",
        }
    ),
    "contrast missing baseline": json.dumps(
        {"contrast": {"property": "p", "trained_on": ["ok"], "tested_on": ["ok"]}}
    ),
    "contrast ids not a list": json.dumps(
        {"contrast": {"property": "p", "trained_on": "ok", "tested_on": ["ok"], "baseline": ["ok"]}}
    ),
    "contrast expected 2": json.dumps(
        {
            "contrast": {
                "property": "p",
                "trained_on": ["ok"],
                "tested_on": ["ok"],
                "baseline": ["ok"],
                "expected": 2,
            }
        }
    ),
    "contrast names an unknown id": json.dumps(
        {
            "contrast": {
                "property": "p",
                "trained_on": ["ok"],
                "tested_on": ["ghost"],
                "baseline": ["ok"],
            }
        }
    ),
    "duplicate id": item_line("ok", "the same id again"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_each_malformed_line_is_an_error_naming_its_line_number(tmp_path, case):
    path = write_lines(tmp_path, [GOOD, item_line("other", "another line"), "", MALFORMED[case]])
    with pytest.raises(SuiteError, match=r"line 4\b") as caught:
        load_jsonl_suite(path)
    assert "\n" not in str(caught.value)


def test_a_file_without_items_is_an_error(tmp_path):
    with pytest.raises(SuiteError, match="no items"):
        load_jsonl_suite(write_lines(tmp_path, [""]))


def test_a_single_item_is_not_enough_for_a_matrix(tmp_path):
    with pytest.raises(SuiteError, match="at least 2"):
        load_jsonl_suite(write_lines(tmp_path, [GOOD]))
