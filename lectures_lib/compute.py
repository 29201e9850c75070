"""Counting parameters and FLOPs, and converting compute units.

Sources: Kaplan et al. 2020, "Scaling Laws for Neural Language Models", arXiv 2001.08361,
Eq. 2.1-2.2 and Table 1 (parameter and FLOP counts, C ~ 6N per training token, the PF-day);
Hoffmann et al. 2022, arXiv 2203.15556 (the same 6ND approximation, App. F).
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from ._validate import ArrayLike

#: One petaflop/s sustained for one day, in floating-point operations (Kaplan et al. 2020, Sec. 1.3).
PF_DAY_FLOPS: float = 1e15 * 24 * 3600

#: Training FLOPs per parameter per token: a forward pass costs about 2N, the backward pass about 4N.
TRAINING_FLOPS_PER_PARAM_TOKEN: float = 6.0

#: Inference (forward-only) FLOPs per parameter per token.
INFERENCE_FLOPS_PER_PARAM_TOKEN: float = 2.0


def training_flops(n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
    """Training compute C = 6 N D in FLOPs.

    ``n_params`` parameters trained on ``n_tokens`` tokens. The factor 6 is 2 FLOPs per
    parameter for the forward pass and 4 for the backward pass (Kaplan et al. 2020,
    arXiv 2001.08361, Sec. 2.1; Hoffmann et al. 2022, arXiv 2203.15556, App. F).
    Vectorised: arrays broadcast against each other.
    """
    n = v.positive(n_params, "n_params")
    d = v.positive(n_tokens, "n_tokens")
    return v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN * n * d)


def training_tokens(flops: ArrayLike, n_params: ArrayLike) -> float | np.ndarray:
    """Tokens D = C / (6 N) that a training budget of ``flops`` FLOPs buys for a model of ``n_params`` parameters.

    The inverse of :func:`training_flops` in D; vectorised, arrays broadcast.
    """
    c = v.positive(flops, "flops")
    n = v.positive(n_params, "n_params")
    return v.scalar_or_array(c / (TRAINING_FLOPS_PER_PARAM_TOKEN * n))


def inference_flops(n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
    """Forward-pass compute 2 N per token, times ``n_tokens`` tokens processed or generated.

    Ignores the attention term that grows with context length (Kaplan et al. 2020, Eq. 2.2);
    see :func:`forward_flops_per_token` for it.
    """
    n = v.positive(n_params, "n_params")
    d = v.non_negative(n_tokens, "n_tokens")
    return v.scalar_or_array(INFERENCE_FLOPS_PER_PARAM_TOKEN * n * d)


def forward_flops_per_token(
    n_params: ArrayLike, n_layers: ArrayLike, n_ctx: ArrayLike, d_attn: ArrayLike
) -> float | np.ndarray:
    """Forward FLOPs per token including attention over the context: 2N + 2 n_layer n_ctx d_attn.

    Kaplan et al. 2020, arXiv 2001.08361, Eq. 2.2 (Table 1). The second term is small
    when d_model is much larger than n_ctx / 12.
    """
    n = v.positive(n_params, "n_params")
    layers = v.positive(n_layers, "n_layers")
    ctx = v.positive(n_ctx, "n_ctx")
    attn = v.positive(d_attn, "d_attn")
    return v.scalar_or_array(2 * n + 2 * layers * ctx * attn)


def transformer_params(
    n_layers: ArrayLike,
    d_model: ArrayLike,
    d_ff: ArrayLike | None = None,
    d_attn: ArrayLike | None = None,
) -> float | np.ndarray:
    """Non-embedding parameters of a decoder-only Transformer: 2 d_model n_layer (2 d_attn + d_ff).

    With the standard shape d_attn = d_model and d_ff = 4 d_model this is 12 n_layer d_model^2.
    Biases and layer norms are left out, as are the token and position embeddings
    (Kaplan et al. 2020, arXiv 2001.08361, Eq. 2.1 and Table 1).
    """
    layers = v.positive(n_layers, "n_layers")
    width = v.positive(d_model, "d_model")
    ff = 4 * width if d_ff is None else v.positive(d_ff, "d_ff")
    attn = width if d_attn is None else v.positive(d_attn, "d_attn")
    return v.scalar_or_array(2 * width * layers * (2 * attn + ff))


def embedding_params(n_vocab: ArrayLike, d_model: ArrayLike, n_ctx: ArrayLike = 0) -> float | np.ndarray:
    """Embedding parameters: n_vocab d_model for tokens plus n_ctx d_model for learned positions.

    Kaplan et al. 2020 leave these out of N; Hoffmann et al. 2022 count them (App. F).
    Pass ``n_ctx=0`` for a model with rotary or other parameter-free positions.
    """
    vocab = v.positive(n_vocab, "n_vocab")
    width = v.positive(d_model, "d_model")
    ctx = v.non_negative(n_ctx, "n_ctx")
    return v.scalar_or_array((vocab + ctx) * width)


def dense_layer_params(n_inputs: int, n_outputs: int, bias: bool = True) -> int:
    """Parameters of one dense layer y = W x + b: n_inputs x n_outputs weights plus n_outputs biases."""
    n_in = v.positive_int(n_inputs, "n_inputs")
    n_out = v.positive_int(n_outputs, "n_outputs")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return n_in * n_out + (n_out if bias else 0)


def tokens_per_param(n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
    """Training tokens per parameter, D / N: the one meaning of ``tokens_per_param`` in this library.

    A law's compute-optimal ratio at a budget is
    :meth:`~lectures_lib.chinchilla.ChinchillaLaw.optimal_tokens_per_param`.
    """
    n = v.positive(n_params, "n_params")
    d = v.positive(n_tokens, "n_tokens")
    return v.scalar_or_array(d / n)


def flops_to_pf_days(flops: ArrayLike) -> float | np.ndarray:
    """Convert FLOPs to PF-days (1 PF-day = 8.64e19 FLOPs)."""
    return v.scalar_or_array(v.positive(flops, "flops") / PF_DAY_FLOPS)


def pf_days_to_flops(pf_days: ArrayLike) -> float | np.ndarray:
    """Convert PF-days to FLOPs (1 PF-day = 8.64e19 FLOPs)."""
    return v.scalar_or_array(v.positive(pf_days, "pf_days") * PF_DAY_FLOPS)


def allocation_for_ratio(
    flops: ArrayLike, ratio: ArrayLike
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Split a training budget at a fixed ``ratio`` r of tokens per parameter (D / N) under C = 6 N D.

    Returns ``(n_params, n_tokens)`` with N = sqrt(C / (6 r)) and D = r N. With r = 20 this is the
    Chinchilla rule of thumb (Hoffmann et al. 2022, Table 3: 1B parameters on 20.2B tokens).
    """
    c = v.positive(flops, "flops")
    r = v.positive(ratio, "ratio")
    n = np.sqrt(c / (TRAINING_FLOPS_PER_PARAM_TOKEN * r))
    return v.scalar_or_array(n), v.scalar_or_array(r * n)


# ------------------------------------------------------------------------------------------------
# Long context: the attention term of the per-token cost (Kaplan et al. 2020, Table 1 and Eq. 2.2)
# ------------------------------------------------------------------------------------------------
def attention_flops_per_token(n_layers: ArrayLike, n_ctx: ArrayLike, d_attn: ArrayLike) -> float | np.ndarray:
    """Forward FLOPs per token spent attending over a context of ``n_ctx`` tokens: 2 n_layer n_ctx d_attn.

    The context-dependent term of :func:`forward_flops_per_token` (Kaplan et al. 2020, arXiv 2001.08361,
    Table 1, "Attention: apply mask"). ``d_attn`` is the query width, heads x head size; grouped-query
    attention shrinks the keys and values, not this term.
    """
    layers = v.positive(n_layers, "n_layers")
    ctx = v.positive(n_ctx, "n_ctx")
    attn = v.positive(d_attn, "d_attn")
    return v.scalar_or_array(2 * layers * ctx * attn)


def attention_share(n_params: ArrayLike, n_layers: ArrayLike, n_ctx: ArrayLike, d_attn: ArrayLike
                    ) -> float | np.ndarray:
    """Share of the forward FLOPs per token that attention over the context takes:
    2 n_layer n_ctx d_attn / (2N + 2 n_layer n_ctx d_attn), with N the non-embedding parameters."""
    context = np.asarray(attention_flops_per_token(n_layers, n_ctx, d_attn))
    total = np.asarray(forward_flops_per_token(n_params, n_layers, n_ctx, d_attn))
    return v.scalar_or_array(context / total)


def context_for_attention_share(n_params: ArrayLike, n_layers: ArrayLike, d_attn: ArrayLike,
                                share: ArrayLike = 0.5) -> float | np.ndarray:
    """Context length at which attention takes ``share`` of the forward FLOPs per token.

    Solving 2 n_layer n_ctx d_attn = share x (2N + 2 n_layer n_ctx d_attn) gives
    n_ctx = share / (1 - share) x N / (n_layer d_attn); with ``share`` = 0.5, the context at which the
    attention term equals the 2N of the weights. ``share`` lies strictly between 0 and 1.
    """
    n = v.positive(n_params, "n_params")
    layers = v.positive(n_layers, "n_layers")
    attn = v.positive(d_attn, "d_attn")
    s = v.in_range(share, "share", 0.0, 1.0, low_open=True)
    if (s >= 1).any():
        raise ValueError("share must lie strictly between 0 and 1: attention never takes all of the cost")
    return v.scalar_or_array(s / (1 - s) * n / (layers * attn))


def attention_layer_params(d_model: ArrayLike, n_heads: ArrayLike, n_kv_heads: ArrayLike,
                           head_dim: ArrayLike) -> float | np.ndarray:
    """Weights of one grouped-query attention block: the query and output projections, d_model x heads x
    head_dim each, and the key and value projections, d_model x KV heads x head_dim each (no biases).

    With ``n_kv_heads`` = ``n_heads`` this is ordinary multi-head attention, 4 d_model d_attn. Vectorised;
    whole-number shapes give whole numbers, exact in float64 below 2**53.
    """
    width = v.positive(d_model, "d_model")
    heads = v.positive(n_heads, "n_heads")
    kv_heads = v.positive(n_kv_heads, "n_kv_heads")
    size = v.positive(head_dim, "head_dim")
    return v.scalar_or_array(width * size * (2 * heads + 2 * kv_heads))


def feed_forward_params(d_model: ArrayLike, d_ff: ArrayLike, gated: bool = True) -> float | np.ndarray:
    """Weights of one feed-forward block of width ``d_ff``: 3 d_model d_ff when ``gated`` (SwiGLU: gate, up and
    down matrices), 2 d_model d_ff otherwise (ReLU or GELU: up and down). No biases. Vectorised."""
    if not isinstance(gated, (bool, np.bool_)):
        raise TypeError(f"gated must be True or False, got {gated!r}")
    width = v.positive(d_model, "d_model")
    ff = v.positive(d_ff, "d_ff")
    return v.scalar_or_array((3 if gated else 2) * width * ff)


def gated_transformer_params(n_layers: ArrayLike, d_model: ArrayLike, n_heads: ArrayLike, n_kv_heads: ArrayLike,
                             head_dim: ArrayLike, d_ff: ArrayLike) -> float | np.ndarray:
    """Parameters in the blocks of a Llama-style Transformer (grouped-query attention, gated feed-forward).

    Per layer: the query and output projections, d_model x heads x head_dim each; the key and value
    projections, d_model x KV heads x head_dim each (:func:`attention_layer_params`); three feed-forward
    matrices of d_model x d_ff (SwiGLU, :func:`feed_forward_params`). Norms, embeddings and the output head
    are left out: this is Kaplan's non-embedding N.
    Llama 3 8B (Dubey et al. 2024, Table 3): 32 x (41.9M + 176.2M) = 6.98B.
    """
    layers = v.positive(n_layers, "n_layers")
    attention = np.asarray(attention_layer_params(d_model, n_heads, n_kv_heads, head_dim))
    feed_forward = np.asarray(feed_forward_params(d_model, d_ff, gated=True))
    return v.scalar_or_array(layers * (attention + feed_forward))


#: Feed-forward (SwiGLU) width of the Llama 3 models, d_ff (Dubey et al. 2024, arXiv 2407.21783, Table 3:
#: "FFN Dimension"), keyed like :data:`lectures_lib.models.ARCHITECTURES`.
LLAMA3_FFN_DIM: dict[str, int] = {"Llama 3 8B": 14_336, "Llama 3 70B": 28_672}
