"""Published language models: parameters, training tokens, year and source.

Each row names the paper (its key in ``book/references.bib``) and where in it the numbers stand,
with a status tag saying how it was checked: ``V-P`` against the paper's full text, ``V-A`` against
its abstract or an official page, ``V-S`` only in secondary sources that quote it (the book's page
*Where the numbers come from*, ``book/provenance.md``, explains the tags).
Parameter counts are the nominal sizes the papers use in their names (LLaMA "33B" has 32.5B).
"""

from __future__ import annotations

from dataclasses import dataclass

from .compute import tokens_per_param, training_flops
from .lifetime import kv_cache_bytes_per_token


@dataclass(frozen=True)
class PublishedModel:
    """One model as published: ``n_params`` parameters trained on ``n_tokens`` tokens."""

    name: str
    family: str
    n_params: float
    n_tokens: float
    year: int
    citation: str
    where: str
    status: str

    @property
    def tokens_per_param(self) -> float:
        """Training tokens per parameter, D / N (:func:`~lectures_lib.compute.tokens_per_param` of this model)."""
        return float(tokens_per_param(self.n_params, self.n_tokens))

    @property
    def training_flops(self) -> float:
        """Training compute estimated as 6 N D, in FLOPs (not the paper's own count)."""
        return float(training_flops(self.n_params, self.n_tokens))


PUBLISHED_MODELS: tuple[PublishedModel, ...] = (
    PublishedModel("GPT-3", "GPT-3", 175e9, 300e9, 2020, "brown2020", "Hoffmann et al. 2022, Table 1", "V-P"),
    PublishedModel("Gopher", "Gopher", 280e9, 300e9, 2021, "rae2021", "Hoffmann et al. 2022, Table 1", "V-P"),
    PublishedModel("Chinchilla", "Chinchilla", 70e9, 1.4e12, 2022, "hoffmann2022", "Table 1 and abstract", "V-P"),
    PublishedModel("LLaMA-7B", "LLaMA-1", 7e9, 1.0e12, 2023, "touvron2023a", "Table 2, Fig. 1", "V-P"),
    PublishedModel("LLaMA-13B", "LLaMA-1", 13e9, 1.0e12, 2023, "touvron2023a", "Table 2, Fig. 1", "V-P"),
    PublishedModel("LLaMA-33B", "LLaMA-1", 33e9, 1.4e12, 2023, "touvron2023a", "Table 2, Fig. 1", "V-P"),
    PublishedModel("LLaMA-65B", "LLaMA-1", 65e9, 1.4e12, 2023, "touvron2023a", "Table 2, Fig. 1", "V-P"),
    PublishedModel("Llama 2 7B", "LLaMA-2", 7e9, 2.0e12, 2023, "touvron2023b", "abstract and model card", "V-A"),
    PublishedModel("Llama 2 13B", "LLaMA-2", 13e9, 2.0e12, 2023, "touvron2023b", "abstract and model card", "V-A"),
    PublishedModel("Llama 2 70B", "LLaMA-2", 70e9, 2.0e12, 2023, "touvron2023b", "abstract and model card", "V-A"),
    PublishedModel("Llama 3 8B", "Llama 3", 8e9, 15e12, 2024, "dubey2024", "\"over 15T tokens\" (Meta)", "V-S"),
    PublishedModel("Llama 3 70B", "Llama 3", 70e9, 15e12, 2024, "dubey2024", "\"over 15T tokens\" (Meta)", "V-S"),
)


@dataclass(frozen=True)
class Architecture:
    """The shape of a published decoder-only Transformer, as far as serving it needs: its layers, its width,
    its query and key/value heads (fewer key/value heads than query heads is grouped-query attention) and
    the size of each head. ``citation`` is its key in ``book/references.bib``."""

    name: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    citation: str
    where: str
    status: str

    def kv_cache_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """Bytes of KV cache per token of context: 2 x layers x KV heads x head size x ``bytes_per_value``."""
        return float(kv_cache_bytes_per_token(self.n_layers, self.n_kv_heads, self.head_dim, bytes_per_value))


#: Shapes of the Llama 3 models (Dubey et al. 2024, arXiv 2407.21783, Table 3).
ARCHITECTURES: dict[str, Architecture] = {
    "Llama 3 8B": Architecture("Llama 3 8B", 32, 4096, 32, 8, 128, "dubey2024", "Table 3", "V-P"),
    "Llama 3 70B": Architecture("Llama 3 70B", 80, 8192, 64, 8, 128, "dubey2024", "Table 3", "V-P"),
}


#: Model FLOPs utilisation (share of the accelerators' peak bf16 FLOP/s) reached in pre-training Llama 3 405B on
#: H100 GPUs, lowest and highest of the configurations (Dubey et al. 2024, arXiv 2407.21783, Table 4).
LLAMA3_405B_TRAINING_MFU: tuple[float, float] = (0.38, 0.43)


#: MMLU accuracy in percent, 5-shot, from Hoffmann et al. 2022, Table 6 (its abstract rounds Chinchilla to 67.5).
MMLU_5_SHOT: dict[str, float] = {"Chinchilla": 67.6, "Gopher": 60.0, "GPT-3": 43.9}


def get_model(name: str) -> PublishedModel:
    """The published model called ``name`` (as in :data:`PUBLISHED_MODELS`), or a ``KeyError`` listing the names."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r}")
    for model in PUBLISHED_MODELS:
        if model.name.lower() == name.lower():
            return model
    known = ", ".join(m.name for m in PUBLISHED_MODELS)
    raise KeyError(f"no published model called {name!r}; known models: {known}")
