"""Adapter for Hugging Face causal language models (full fine-tuning or LoRA via peft).

Score of a text: the mean, over the text's scored tokens, of ``log p(t_k | t_<k)``, i.e. minus
the standard causal-LM loss. Standalone, a text is tokenized with the tokenizer's default special
tokens and positions ``1..n-1`` are scored. After a context, the *same* text tokens are scored
(those that are scored standalone), so in-context and fine-tuning scores compare like for like.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from influence_sdk.errors import ConfigError, ItemError, ModelLoadError
from influence_sdk.items import Probe
from influence_sdk.models.base import Model, check_loss, clear_gradients, iter_batches
from influence_sdk.models.folder import check_model_folder
from influence_sdk.models.updates import SwappedWeights
from influence_sdk.recipe import FineTuneRecipe

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class EncodedProbe:
    """Token ids of a probe and the positions whose next-token log-probs are scored."""

    input_ids: list[int]
    first_target: int  # index in input_ids of the first scored token (always >= 1)


class HFCausalLM(Model):
    """A transformers causal LM as an influence-sdk :class:`Model`.

    Args:
        model: A ``transformers`` causal LM (``AutoModelForCausalLM``).
        tokenizer: Its tokenizer.
        batch_size: Probes scored per forward pass.
        padding_side: ``"right"`` or ``"left"``; scores do not depend on it.
        name: Shown in reports.

    Example:
        >>> lm = HFCausalLM.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")  # doctest: +SKIP
        >>> lm.score([Probe(text="The capital of France is Paris.")])  # doctest: +SKIP
    """

    modality = "text"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        batch_size: int = 32,
        padding_side: str = "right",
        name: str | None = None,
    ) -> None:
        if padding_side not in ("left", "right"):
            raise ConfigError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.padding_side = padding_side
        self.name = name or getattr(model.config, "_name_or_path", None) or type(model).__name__
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.max_length = _context_window(model, tokenizer)
        self._swapped: SwappedWeights | None = None  # work buffers for full fine-tuning
        self._lora_key: tuple[Any, ...] | None = None
        self._cache: dict[tuple[str, str], EncodedProbe] = {}

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str,
        *,
        device: str = "cpu",
        dtype: str = "float32",
        gguf_file: str | None = None,
        **kwargs: Any,
    ) -> HFCausalLM:
        """Load a hub id or local folder with transformers (offline when the hub is unreachable)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        if gguf_file is None:
            check_model_folder(name_or_path)  # fail fast, and never unpickle a user's weights
        gguf: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
        weights = gguf or {"use_safetensors": True}  # a pickled weights file is never loaded
        try:
            tokenizer = AutoTokenizer.from_pretrained(name_or_path, **gguf)
            model = AutoModelForCausalLM.from_pretrained(
                name_or_path, dtype=DTYPES[dtype], **weights
            )
        except (OSError, ValueError) as err:
            raise ModelLoadError(
                f"cannot load model {name_or_path!r}: it is not a local model folder and could "
                f"not be fetched from the hub ({type(err).__name__}); pass an existing folder, "
                "or a hub id with network access, or omit --model for the embedded SmolLM2-135M"
            ) from err
        try:
            model = model.to(device)  # type: ignore[arg-type]  # transformers' own stub
        except (RuntimeError, AssertionError) as err:
            raise ConfigError(
                f"cannot move the model to device {device!r}: {err}; use --device cpu"
            ) from err
        return cls(model, tokenizer, name=str(name_or_path), **kwargs)

    # ---- encoding -----------------------------------------------------------------------

    def encode(self, probe: Probe) -> EncodedProbe:
        """Token ids of ``probe`` and where its scored tokens start (cached)."""
        if probe.text is None:
            raise ItemError(f"item {probe.item_id!r} has no text; a language model needs text")
        key = (probe.context, probe.text)
        if key not in self._cache:
            self._cache[key] = self._encode(probe.context, probe.text)
        return self._cache[key]

    def _encode(self, context: str, text: str) -> EncodedProbe:
        full = self.tokenizer(text)["input_ids"]
        if not context:
            return EncodedProbe(full, 1)
        plain = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        start = _find(full, plain)
        prefix, suffix = (full[:start], full[start + len(plain) :]) if start >= 0 else ([], [])
        body = plain if start >= 0 else full
        # Standalone, a text without a leading special token has its first token unscored;
        # skip the same token here so both layouts score exactly the same tokens.
        skip = 0 if prefix else 1
        context_ids = self.tokenizer(context)["input_ids"]
        return EncodedProbe(context_ids + body + suffix, len(context_ids) + skip)

    def check(self, probes: Sequence[Probe]) -> None:
        for probe in probes:
            if probe.text is None or not probe.text.strip():
                raise ItemError(f"item {probe.item_id!r} has an empty text; give it some words")
            encoded = self.encode(probe)
            if len(encoded.input_ids) > self.max_length:
                raise ItemError(
                    f"item {probe.item_id!r} is {len(encoded.input_ids)} tokens long (with its "
                    f"context), more than the model's context of {self.max_length}; shorten it"
                )
            if len(encoded.input_ids) - encoded.first_target < 1:
                raise ItemError(
                    f"item {probe.item_id!r} ({probe.text!r}) has no token to score: the first "
                    "token of a text is never scored; give it at least two tokens"
                )

    # ---- scoring ------------------------------------------------------------------------

    def score(self, probes: Sequence[Probe]) -> torch.Tensor:
        scores = []
        with torch.no_grad():
            for batch in iter_batches(len(probes), self.batch_size):
                scores.append(self._score_batch(probes[batch]).double().cpu())
        return torch.cat(scores) if scores else torch.zeros(0, dtype=torch.float64)

    def _score_batch(self, probes: Sequence[Probe]) -> torch.Tensor:
        """Mean scored-token log-prob of each probe, shape ``(len(probes),)``, with grad."""
        encoded = [self.encode(probe) for probe in probes]
        width = max(len(e.input_ids) for e in encoded)
        device = self.device
        input_ids = torch.full((len(encoded), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(encoded), width), dtype=torch.long)
        scored = torch.zeros((len(encoded), width), dtype=torch.bool)
        for row, e in enumerate(encoded):
            n = len(e.input_ids)
            start = width - n if self.padding_side == "left" else 0
            input_ids[row, start : start + n] = torch.tensor(e.input_ids)
            attention[row, start : start + n] = 1
            scored[row, start + e.first_target : start + n] = True
        # Positions count real tokens only, so left padding does not shift them.
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        logits = self.model(
            input_ids=input_ids.to(device),
            attention_mask=attention.to(device),
            position_ids=positions.to(device),
        ).logits  # (batch, width, vocab)
        log_probs = torch.log_softmax(logits[:, :-1].float(), dim=-1)  # predicts tokens 1..w-1
        targets = input_ids[:, 1:].to(device)
        token_log_probs = log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (batch, w-1)
        mask = scored[:, 1:].to(device)
        return (token_log_probs * mask).sum(-1) / mask.sum(-1)

    # ---- fine-tuning --------------------------------------------------------------------

    @contextmanager
    def fine_tuned(
        self, probes: Sequence[Probe], recipe: FineTuneRecipe, seed: int
    ) -> Iterator[None]:
        params = self._prepare(recipe, seed)
        clear_gradients(params)
        try:
            self._train(params, probes, recipe, seed)
            yield
        finally:
            self._restore(params, recipe)

    def _prepare(self, recipe: FineTuneRecipe, seed: int) -> list[torch.nn.Parameter]:
        """Trainable parameters for ``recipe``, with their base values saved once per model."""
        if recipe.method == "lora":
            return self._lora_parameters(recipe, seed)
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self._swapped is None or not self._swapped.matches(params):
            # One work buffer for the whole run: the base weights are never written, and
            # nothing weight-sized is allocated per item (see models/updates.py).
            self._swapped = SwappedWeights(params)
        return params

    def _train(
        self,
        params: list[torch.nn.Parameter],
        probes: Sequence[Probe],
        recipe: FineTuneRecipe,
        seed: int,
    ) -> None:
        torch.manual_seed(seed)
        optimizer = make_optimizer(params, recipe) if recipe.method == "lora" else None
        for step in range(recipe.steps):
            loss = -self._score_batch(probes).mean()
            check_loss(loss, probes, step, recipe)
            loss.backward()
            if optimizer is not None:
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            else:
                assert self._swapped is not None  # set by _prepare for method "full"
                self._swapped.step(recipe.optimizer, recipe.lr, recipe.weight_decay, recipe.steps)

    def _restore(self, params: list[torch.nn.Parameter], recipe: FineTuneRecipe) -> None:
        with torch.no_grad():
            if recipe.method == "lora":
                for name, param in self._lora_named():
                    if "lora_B" in name:
                        param.zero_()  # B = 0 makes the adapter an exact no-op
            elif self._swapped is not None:
                self._swapped.restore()  # O(1): points every parameter back at its base tensor
        for param in params:
            param.grad = None

    def _lora_parameters(self, recipe: FineTuneRecipe, seed: int) -> list[torch.nn.Parameter]:
        from peft import LoraConfig, get_peft_model

        key = (recipe.lora_rank, recipe.lora_alpha, tuple(recipe.lora_targets or ()))
        if self._lora_key is None:
            config = LoraConfig(
                r=recipe.lora_rank,
                lora_alpha=recipe.lora_alpha,  # type: ignore[arg-type]  # peft accepts floats
                target_modules=recipe.lora_targets,
                lora_dropout=0.0,
                bias="none",
            )
            try:
                self.model = get_peft_model(self.model, config).eval()
            except ValueError as err:
                raise ConfigError(
                    f"cannot add LoRA adapters with targets {recipe.lora_targets!r}: {err}; pass "
                    "module names that exist in the model (e.g. q_proj v_proj)"
                ) from err
            self._lora_key = key
        elif key != self._lora_key:
            raise ConfigError(
                f"this model already carries LoRA adapters {self._lora_key}; load a fresh model "
                "to use another rank, alpha or target list"
            )
        # Fresh adapter per item, drawn from the seed: A ~ U(±1/sqrt(fan_in)), B = 0.
        generator = torch.Generator().manual_seed(seed)
        params = []
        with torch.no_grad():
            for name, param in self._lora_named():
                if "lora_A" in name:
                    bound = 1.0 / math.sqrt(param.shape[1])
                    fresh = torch.rand(param.shape, generator=generator) * 2 * bound - bound
                    param.copy_(fresh.to(param))
                else:
                    param.zero_()
                params.append(param)
        return params

    def _lora_named(self) -> Iterator[tuple[str, torch.nn.Parameter]]:
        for name, param in self.model.named_parameters():
            if "lora_" in name:
                yield name, param

    # ---- misc ---------------------------------------------------------------------------

    def chat_prefix(self, user: str) -> str:
        """The model's chat template up to the start of the assistant's reply to ``user``.

        Text scored or learned after this prefix is the assistant turn (the ``chat`` strategy).
        """
        if not getattr(self.tokenizer, "chat_template", None):
            raise ConfigError(
                f"model {self.name!r} has no chat template (tokenizer.chat_template is empty); "
                "use a strategy without chat = true, or an instruct model that has one"
            )
        messages = [{"role": "user", "content": user}]
        return str(
            self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        )

    def generate(self, prompt: str, max_new_tokens: int) -> str:
        inputs = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        with torch.no_grad():
            output = self.model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=self.pad_id,
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        return str(self.tokenizer.decode(new_tokens, skip_special_tokens=True))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def describe(self) -> dict[str, Any]:
        first = next(self.model.parameters())
        return {
            "name": self.name,
            "class": type(self.model).__name__,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(first.device),
            "dtype": str(first.dtype).removeprefix("torch."),
        }


def make_optimizer(
    params: list[torch.nn.Parameter], recipe: FineTuneRecipe
) -> torch.optim.Optimizer:
    """A fresh optimizer for one item (no state carries over between items)."""
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay, foreach=True)


def _context_window(model: Any, tokenizer: Any) -> int:
    limit = getattr(model.config, "max_position_embeddings", None)
    if limit is None:
        limit = getattr(tokenizer, "model_max_length", None)
    return int(limit) if limit and limit < 10**9 else 2048


def _find(sequence: list[int], part: list[int]) -> int:
    """Start of ``part`` inside ``sequence``, or -1."""
    for start in range(len(sequence) - len(part) + 1):
        if sequence[start : start + len(part)] == part:
            return start
    return -1
