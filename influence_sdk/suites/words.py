"""Invented entity names: pronounceable words the model has never seen.

Built from a syllable list without looking at any tokenizer, as in the paper: 2 to 5 random
syllables per word, all words of one draw distinct. Each (suite, seed) pair has its own stream.
"""

from __future__ import annotations

import random

ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kl", "tr"]
VOWELS = ["a", "e", "i", "o", "u"]
CODAS = ["", "", "", "n", "r", "m", "k"]  # an empty coda is the most common syllable end


def syllables() -> list[str]:
    """All syllables words are made from (onset + vowel + optional coda)."""
    return sorted({onset + vowel + coda for onset in ONSETS for vowel in VOWELS for coda in CODAS})


def invented_words(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct invented words of 2 to 5 syllables drawn from ``rng``."""
    pool = syllables()
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
        if word not in words:
            words.append(word)
    return words


def rng_for(suite: str, seed: int) -> random.Random:
    """A random stream that depends only on the suite name and the seed."""
    return random.Random(f"{suite}:{seed}")  # str seeds are hashed with SHA-512: stable
