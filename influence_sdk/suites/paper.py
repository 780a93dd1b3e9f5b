"""The language domains of Matelsky et al. (2024), with fresh invented words per seed.

Tags on every item: ``category`` (the paper's row label) and ``expected``: the expected sign of
the influence on this item from learning the suite's source items (``+``, ``-``, ``0``,
``small+``). ``source: True`` marks those items. The contrasts say what each property checks.
"""

from __future__ import annotations

from influence_sdk.matrix import Contrast
from influence_sdk.suites.base import Suite, SuiteSpec, make_items, register_suite
from influence_sdk.suites.words import invented_words, rng_for


def _tag(category: str, expected: str, **extra: object) -> dict[str, object]:
    return {"category": category, "expected": expected, **extra}


def transitivity(seed: int) -> Suite:
    """12 items; learning the joint premises (t01) should raise the conclusion, not negations."""
    a, b, c, d, e = invented_words(5, rng_for("transitivity", seed))
    rows = [
        ("t01", f"a {a} is a {b}\nall {b}s have a {c}", _tag("memorization", "+", source=True)),
        ("t02", f"a {a} is a {b}", _tag("memorization", "+")),
        ("t03", f"all {b}s have a {c}", _tag("memorization", "+")),
        ("t04", f"one example of a {b} is a {a}", _tag("rewording", "+")),
        ("t05", f"a {a} is not a {b}", _tag("logic", "-", negates="t02")),
        ("t06", f"a {a} does not have a {c}", _tag("logic", "-", negates="t07")),
        ("t07", f"a {a} has a {c}", _tag("composition", "+")),
        ("t08", f"{a}s have {c}s", _tag("composition", "+")),
        ("t09", a, _tag("concept introduction", "small+")),
        ("t10", b, _tag("concept introduction", "small+")),
        ("t11", c, _tag("concept introduction", "small+")),
        ("t12", f"a {d} is a {e}", _tag("unrelated control", "0", control=True)),
    ]
    control = ("t12",)
    contrasts = [
        Contrast("rewording", ("t01", "t02"), ("t04",), control, 1, "A is B -> one B is A"),
        Contrast("negation", ("t05",), ("t02",), control, -1, "A is not B must not raise A is B"),
        Contrast("negation", ("t06",), ("t07",), control, -1, "A has no C must not raise A has C"),
        Contrast("negation", ("t01",), ("t05", "t06"), control, -1, "premises lower negations"),
        Contrast(
            "transitivity", ("t01",), ("t07", "t08"), control, 1, "A is B, Bs have C => A has C"
        ),
        Contrast(
            "control_selectivity",
            ("t01",),
            ("t02", "t03", "t04", "t07", "t08"),
            control,
            1,
            "related items move more than the unrelated control",
        ),
    ]
    return Suite("transitivity", make_items(rows), contrasts)


def belongs_to(seed: int) -> Suite:
    """10 set-membership items; checks set direction, transitivity and negation."""
    a, b, c = invented_words(3, rng_for("belongs_to", seed))
    rows = [
        ("b01", f"{a} belongs to the set of {b}.", _tag("premise", "+", source=True)),
        ("b02", f"{b} is a set that contains {a}.", _tag("rewording", "+")),
        ("b03", f"{b} belongs to the set of {a}.", _tag("reversed", "0")),
        ("b04", f"{a} does not belong to the set of {c}.", _tag("negation", "-", negates="b07")),
        ("b05", f"{a} might belong to the set of {c}.", _tag("hedge", "small+")),
        ("b06", f"{b} belongs to the set of {c}.", _tag("premise", "+", source=True)),
        ("b07", f"{a} belongs to the set of {c}.", _tag("conclusion", "+")),
        (
            "b08",
            f"{a} belongs to the set of {b}, and {b} belongs to the set of {c}.",
            _tag("premises joined", "+", source=True),
        ),
        (
            "b09",
            f"{a} belongs to the set of {b}.\n{b} belongs to the set of {c}.",
            _tag("premises two lines", "+", source=True),
        ),
        (
            "b10",
            "Frogs and toads often hibernate in winter.",
            _tag("unrelated control", "0", control=True),
        ),
    ]
    control = ("b10",)
    contrasts = [
        Contrast("rewording", ("b01",), ("b02",), control, 1, "A in B -> B contains A"),
        Contrast("set_direction", ("b01",), ("b02",), ("b03",), 1, "B contains A beats B in A"),
        Contrast("transitivity", ("b08", "b09"), ("b07",), control, 1, "A in B, B in C => A in C"),
        Contrast("negation", ("b04",), ("b07",), control, -1, "A not in C must not raise A in C"),
        Contrast("negation", ("b08", "b09"), ("b04",), control, -1, "premises lower A not in C"),
        Contrast(
            "control_selectivity",
            ("b01", "b06"),
            ("b02", "b07", "b08", "b09"),
            control,
            1,
            "related items move more than the unrelated control",
        ),
    ]
    return Suite("belongs_to", make_items(rows), contrasts)


CAUSES = "Whenever {x} happens, it causes {y} to happen."


def chain_induces(seed: int) -> Suite:
    """5 causal chains; learning A→…→Z should raise A→Z more than the reversed Z→A."""
    a, b, c, d, z = invented_words(5, rng_for("chain_induces", seed))

    def chain(*pairs: tuple[str, str]) -> str:
        return "\n".join(CAUSES.format(x=x, y=y) for x, y in pairs)

    rows = [
        ("c01", chain((a, z)), _tag("conclusion", "+")),
        ("c02", chain((a, b)), _tag("premise", "+")),
        ("c03", chain((a, b), (b, z)), _tag("chain", "+", source=True)),
        ("c04", chain((a, b), (b, c), (c, d), (d, z)), _tag("chain", "+", source=True)),
        ("c05", chain((z, a)), _tag("reversed", "0")),
    ]
    contrasts = [
        Contrast("causal_direction", ("c03", "c04"), ("c01",), ("c05",), 1, "A→Z beats Z→A"),
    ]
    return Suite("chain_induces", make_items(rows), contrasts)


def squares(seed: int) -> Suite:
    """Real words (square, rectangle) with one invented middle set {B}.

    The paper's six items plus the true conclusion "a square is a rectangle" (s07), so that set
    direction can be checked as conclusion-versus-reversed-conclusion.
    """
    (b,) = invented_words(1, rng_for("squares", seed))
    rows = [
        ("s01", f"every square is a {b}.", _tag("premise", "+", source=True)),
        ("s02", f"every {b} is a rectangle.", _tag("premise", "+", source=True)),
        (
            "s03",
            f"every square is a {b}, and every {b} is a rectangle.",
            _tag("premises joined", "+", source=True),
        ),
        (
            "s04",
            f"every square is a {b}.\nevery {b} is a rectangle.",
            _tag("premises two lines", "+", source=True),
        ),
        (
            "s05",
            f"every {b} is a square.\nevery {b} is a rectangle.",
            _tag("reversed premise", "0"),
        ),
        ("s06", "every rectangle is a square.", _tag("reversed conclusion", "0")),
        ("s07", "every square is a rectangle.", _tag("conclusion", "+")),
    ]
    contrasts = [
        Contrast(
            "set_direction", ("s03", "s04"), ("s07",), ("s06",), 1, "square⊂rect beats rect⊂square"
        ),
        Contrast(
            "transitivity",
            ("s03", "s04"),
            ("s07",),
            ("s05",),
            1,
            "conclusion beats reversed premise",
        ),
    ]
    return Suite("squares", make_items(rows), contrasts)


register_suite(
    SuiteSpec("transitivity", transitivity, "12 items: A is B, Bs have C => A has C", default=True)
)
register_suite(
    SuiteSpec(
        "belongs_to", belongs_to, "10 set-membership items with negation and hedge", default=True
    )
)
register_suite(
    SuiteSpec(
        "chain_induces", chain_induces, "5 causal chains and a reversed conclusion", default=True
    )
)
register_suite(
    SuiteSpec("squares", squares, "square ⊂ {B} ⊂ rectangle, with reversed forms", default=True)
)
