"""Mixture of Experts: parameters held versus parameters used, routing, load balancing, routed scaling laws.

A Mixture-of-Experts (MoE) layer replaces a Transformer's feed-forward block by ``n_experts`` blocks and a
router that sends each token to ``top_k`` of them: y = sum_i g_i(x) E_i(x). Memory holds every expert;
each token pays the arithmetic of only ``top_k``.

Sources: Shazeer et al. 2017 (arXiv 1701.06538, the sparsely gated layer); Fedus, Zoph and Shazeer 2022,
"Switch Transformers" (arXiv 2101.03961; top-1 routing, capacity Eq. 3, balancing loss Eq. 4-6, Switch-C in
Table 9); Jiang et al. 2024, "Mixtral of Experts" (arXiv 2401.04088, Sec. 2.1); DeepSeek-AI 2024, "DeepSeek-V3
Technical Report" (arXiv 2412.19437, Sec. 2.1: shared experts, auxiliary-loss-free balancing by a bias);
Krajewski et al. 2024, "Scaling Laws for Fine-Grained Mixture of Experts" (arXiv 2402.07871, Eq. 9, Table 1).
The parameter counts follow the published configuration files and are checked against the papers' totals
in ``tests/test_moe.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from ._numerics import softmax
from ._validate import ArrayLike
from .chinchilla import ChinchillaLaw
from .compute import attention_layer_params, embedding_params, feed_forward_params, inference_flops, training_flops
from .lifetime import kv_cache_bytes_per_token, weight_bytes

#: The two orders of the routing operations: softmax over the top-k logits (Shazeer et al. 2017's
#: Softmax(KeepTopK(H(x), k)); Mixtral, Jiang et al. 2024, Sec. 2.1) or softmax over all experts and then the
#: top k of the probabilities (Switch, Fedus et al. 2022, Sec. 2.1, with k = 1).
ROUTING_ORDERS: tuple[str, ...] = ("topk_then_softmax", "softmax_then_topk")
#: Weight of the Switch load-balancing loss (Fedus et al. 2022, Sec. 2.2: alpha = 10**-2).
SWITCH_ALPHA: float = 1e-2
#: Bias update speed of DeepSeek-V3's auxiliary-loss-free balancing (DeepSeek-AI 2024, Sec. 4.2: gamma = 0.001
#: for the first 14.3T tokens).
DEEPSEEK_V3_GAMMA: float = 1e-3
#: Balancing methods of :func:`simulate_router`.
BALANCING_METHODS: tuple[str, ...] = ("none", "aux_loss", "bias")


# ------------------------------------------------------------------------------------------------
# Configurations and their parameter counts
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LatentAttention:
    """Multi-head latent attention (MLA) of DeepSeek-V2/V3: queries and keys/values pass through low-rank
    bottlenecks, and the cache keeps only the compressed ``kv_lora_rank`` values plus a shared rotary key
    (DeepSeek-AI 2024, Sec. 2.1.1; field names as in the model's ``config.json``)."""

    q_lora_rank: int
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int

    def __post_init__(self) -> None:
        for name in ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
            v.positive_int(getattr(self, name), name)

    def params(self, d_model: int, n_heads: int) -> int:
        """Weights of one MLA block (projections and the two bottleneck norms), as exact integers."""
        d, h = v.positive_int(d_model, "d_model"), v.positive_int(n_heads, "n_heads")
        qk = self.qk_nope_head_dim + self.qk_rope_head_dim
        query = d * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * h * qk
        key_value = (d * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
                     + self.kv_lora_rank * h * (self.qk_nope_head_dim + self.v_head_dim))
        return query + key_value + h * self.v_head_dim * d

    @property
    def cached_values_per_layer(self) -> int:
        """Values the KV cache holds per token and layer: the latent vector plus the shared rotary key."""
        return self.kv_lora_rank + self.qk_rope_head_dim


@dataclass(frozen=True)
class MoEConfig:
    """The shape of a Transformer whose feed-forward blocks are (mostly) Mixtures of Experts.

    Decoder-only by default; ``n_encoder_layers`` > 0 makes it an encoder-decoder (T5-style: encoder layers
    have self-attention, decoder layers self- and cross-attention). Every layer is an MoE layer except the
    first ``n_dense_layers`` decoder layers, whose feed-forward block has width ``d_ff_dense``. An MoE layer
    has ``n_experts`` routed experts of width ``d_ff_expert`` (``top_k`` used per token), ``n_shared_experts``
    that every token uses, and a router (one weight vector per routed expert, plus a bias per expert if
    ``router_bias``). A ``gated`` expert (SwiGLU) has three matrices, an ungated one (ReLU) two. Norms hold
    ``d_model`` weights each (two per layer, three with cross-attention, one per stack at the end).
    ``mla`` replaces grouped-query attention by :class:`LatentAttention`. No biases in the linear layers.

    Counts are exact integers. ``active_params`` counts what one token uses: attention, norms, router, the
    dense blocks, ``top_k`` routed plus the shared experts, and the embedding and output head (the convention
    that matches the published "active" counts; see ``tests/test_moe.py``).
    """

    name: str
    n_layers: int
    d_model: int
    n_heads: int
    head_dim: int
    d_ff_expert: int
    n_experts: int
    top_k: int
    vocab_size: int
    n_kv_heads: int | None = None
    n_shared_experts: int = 0
    n_dense_layers: int = 0
    d_ff_dense: int = 0
    gated: bool = True
    n_encoder_layers: int = 0
    tied_embeddings: bool = False
    router_bias: bool = False
    mla: LatentAttention | None = None
    citation: str = ""
    where: str = ""
    status: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        for name in ("n_layers", "d_model", "n_heads", "head_dim", "d_ff_expert", "n_experts", "top_k",
                     "vocab_size"):
            v.positive_int(getattr(self, name), name)
        for name in ("n_shared_experts", "n_dense_layers", "d_ff_dense", "n_encoder_layers"):
            v.positive_int(getattr(self, name), name, minimum=0)
        if self.top_k > self.n_experts:
            raise ValueError(f"top_k must be between 1 and n_experts = {self.n_experts}, got {self.top_k}")
        kv = self.n_heads if self.n_kv_heads is None else v.positive_int(self.n_kv_heads, "n_kv_heads")
        if self.n_heads % kv:
            raise ValueError(f"n_kv_heads must divide n_heads = {self.n_heads}, got {kv}")
        if self.n_dense_layers > self.n_layers:
            raise ValueError(f"n_dense_layers must be at most n_layers = {self.n_layers}, got {self.n_dense_layers}")
        if self.n_dense_layers and not self.d_ff_dense:
            raise ValueError("d_ff_dense must be > 0 when there are dense layers (n_dense_layers > 0)")
        for name in ("gated", "tied_embeddings", "router_bias"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.mla is not None and not isinstance(self.mla, LatentAttention):
            raise TypeError(f"mla must be a LatentAttention or None, got {type(self.mla).__name__}")

    # -- the pieces, per layer ---------------------------------------------------------------------
    @property
    def _kv_heads(self) -> int:
        """Key/value heads: ``n_kv_heads``, or ``n_heads`` (multi-head attention) when it is None."""
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    @property
    def attention_params(self) -> int:
        """Weights of one self-attention block: Q, K, V and output projections (or MLA's)."""
        if self.mla is not None:
            return self.mla.params(self.d_model, self.n_heads)
        return int(attention_layer_params(self.d_model, self.n_heads, self._kv_heads, self.head_dim))

    @property
    def expert_params(self) -> int:
        """Weights of one expert: 3 d_model d_ff (gated, SwiGLU) or 2 d_model d_ff (ReLU)."""
        return int(feed_forward_params(self.d_model, self.d_ff_expert, gated=self.gated))

    @property
    def dense_ffn_params(self) -> int:
        """Weights of the feed-forward block of a dense layer (0 when there is none)."""
        if not self.d_ff_dense:
            return 0
        return int(feed_forward_params(self.d_model, self.d_ff_dense, gated=self.gated))

    @property
    def router_params(self) -> int:
        """Weights of one router: d_model per routed expert, plus a bias per expert if ``router_bias`` (none when
        there is a single expert: a dense model written as an MoEConfig)."""
        if self.n_experts == 1:
            return 0  # one expert: a dense feed-forward block, nothing to route
        return self.d_model * self.n_experts + (self.n_experts if self.router_bias else 0)

    @property
    def embedding_params(self) -> int:
        """Input embedding plus output head (one matrix when ``tied_embeddings``)."""
        return int(embedding_params(self.vocab_size, self.d_model)) * (1 if self.tied_embeddings else 2)

    @property
    def n_moe_layers(self) -> int:
        return self.n_encoder_layers + self.n_layers - self.n_dense_layers

    def _stack(self, experts_used: int) -> tuple[int, int]:
        """Parameters of the encoder stack and of the decoder stack (final norms included, embeddings not),
        with ``experts_used`` routed experts counted in each MoE layer."""
        d = self.d_model
        moe_ffn = self.router_params + (self.n_shared_experts + experts_used) * self.expert_params
        encoder = 0
        if self.n_encoder_layers:
            encoder = self.n_encoder_layers * (self.attention_params + 2 * d + moe_ffn) + d
        cross = self.n_encoder_layers > 0
        attention = self.attention_params * (2 if cross else 1) + (3 if cross else 2) * d
        decoder = (self.n_dense_layers * (attention + self.dense_ffn_params)
                   + (self.n_layers - self.n_dense_layers) * (attention + moe_ffn) + d)
        return encoder, decoder

    # -- totals ------------------------------------------------------------------------------------
    @property
    def total_params(self) -> int:
        """Every weight the model stores (all experts of all layers, embeddings and head)."""
        return sum(self._stack(self.n_experts)) + self.embedding_params

    @property
    def active_params(self) -> int:
        """Weights one token uses: its ``top_k`` routed experts and the shared ones in each MoE layer, and
        everything that is not an expert (embedding and head included). For an encoder-decoder, one token
        through the encoder plus one through the decoder (see :meth:`stack_active_params`)."""
        return sum(self._stack(self.top_k)) + self.embedding_params

    def stack_active_params(self) -> tuple[int, int]:
        """``(encoder, decoder)``: weights one token uses in each stack, embeddings left out."""
        return self._stack(self.top_k)

    @property
    def active_fraction(self) -> float:
        """active_params / total_params."""
        return self.active_params / self.total_params

    @property
    def flops_per_token(self) -> float:
        """Forward FLOPs per token, 2 per active weight that multiplies the token (Kaplan et al. 2020, Sec. 2.1):
        the input embedding is a look-up, not a product, so an untied input embedding is left out (a tied one is
        the output head too). Attention over the context is left out (see ``compute.forward_flops_per_token``)."""
        lookup = 0 if self.tied_embeddings else self.vocab_size * self.d_model
        return float(inference_flops(self.active_params - lookup, 1))

    def weight_bytes(self, bytes_per_param: float = 2.0) -> float:
        """Memory of all the weights (every expert must be stored): :func:`lifetime.weight_bytes` of the total."""
        return float(weight_bytes(self.total_params, bytes_per_param))

    def training_flops(self, n_tokens: ArrayLike) -> float | np.ndarray:
        """Training compute 6 N D with N the ACTIVE parameters (:func:`compute.training_flops`)."""
        return training_flops(self.active_params, n_tokens)

    def kv_cache_values_per_token(self) -> int:
        """Values the KV cache keeps per token of context (keys and values of every decoder layer; MLA's
        compressed latent). Multiply by bytes per value for bytes."""
        if self.mla is not None:
            return self.n_layers * self.mla.cached_values_per_layer
        # one byte per value: lifetime.kv_cache_bytes_per_token counts the values themselves
        return int(kv_cache_bytes_per_token(self.n_layers, self._kv_heads, self.head_dim, bytes_per_value=1.0))


#: Mixtral 8x7B (Jiang et al. 2024, arXiv 2401.04088, Sec. 2 and Table 1; the released ``config.json``):
#: 32 layers of width 4,096, 32 query and 8 key/value heads of 128, 8 SwiGLU experts of width 14,336, top-2,
#: 32,000-token vocabulary, untied head.
MIXTRAL_8X7B = MoEConfig("Mixtral 8x7B", n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8, head_dim=128,
                         d_ff_expert=14336, n_experts=8, top_k=2, vocab_size=32000, citation="jiang2024",
                         where="Sec. 2, Table 1; config.json", status="V-A")

#: DeepSeek-V3 (DeepSeek-AI 2024, arXiv 2412.19437, Sec. 2.1 and 4.2; ``config_671B.json``): 61 layers of width
#: 7,168, the first 3 dense (width 18,432), then 1 shared + 256 routed experts of width 2,048, top-8, a bias per
#: expert for balancing, MLA with 128 heads, 129,280-token vocabulary. The multi-token-prediction module is
#: not part of the 671B.
DEEPSEEK_V3 = MoEConfig("DeepSeek-V3", n_layers=61, d_model=7168, n_heads=128, head_dim=128, d_ff_expert=2048,
                        n_experts=256, top_k=8, vocab_size=129280, n_shared_experts=1, n_dense_layers=3,
                        d_ff_dense=18432, router_bias=True,
                        mla=LatentAttention(q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128,
                                            qk_rope_head_dim=64, v_head_dim=128),
                        citation="deepseekai2024", where="Sec. 2.1, 4.2; config_671B.json", status="V-P")

#: Switch-C (Fedus et al. 2022, arXiv 2101.03961, Table 9): T5-style encoder-decoder, 15 + 15 layers of width
#: 2,080, 32 heads of 64, 2,048 ReLU experts of width 6,144 in every layer, top-1, one shared 32,128-token
#: embedding.
SWITCH_C = MoEConfig("Switch-C", n_layers=15, n_encoder_layers=15, d_model=2080, n_heads=32, head_dim=64,
                     d_ff_expert=6144, n_experts=2048, top_k=1, vocab_size=32128, gated=False, tied_embeddings=True,
                     citation="fedus2022", where="Table 9", status="V-P")

#: Published (total, active) parameter counts: Mixtral "47B" / "13B" (abstract, [V-A]); DeepSeek-V3 "671B" /
#: "37B" (abstract, [V-P]); Switch-C "1571B" (Table 9, [V-P]; the paper gives no active count).
PUBLISHED_COUNTS: dict[str, tuple[float, float | None]] = {
    "Mixtral 8x7B": (47e9, 13e9),
    "DeepSeek-V3": (671e9, 37e9),
    "Switch-C": (1571e9, None),
}

MOE_MODELS: tuple[MoEConfig, ...] = (MIXTRAL_8X7B, DEEPSEEK_V3, SWITCH_C)


# ------------------------------------------------------------------------------------------------
# Routing
# ------------------------------------------------------------------------------------------------
def _logits(value: object, name: str = "logits") -> np.ndarray:
    array = v.finite(value, name)
    if array.ndim != 2 or array.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array of shape (tokens, experts), got shape {array.shape}")
    return array


def top_k_route(logits: ArrayLike, top_k: int, *, order: str = "topk_then_softmax"
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(expert_index, gate_weights)``, both of shape (tokens, top_k), best expert first.

    ``logits`` (tokens, experts) are the router's scores W_g x. The experts chosen are the ``top_k`` largest
    logits either way (softmax keeps the order); the weights differ:

    * ``"topk_then_softmax"``: softmax over the chosen logits only, so the weights sum to 1 (Shazeer et al.
      2017: Softmax(KeepTopK(H(x), k)); Mixtral: Softmax(Top2(x W_g)), Jiang et al. 2024, Sec. 2.1); with
      ``top_k = 1`` the weight is always 1;
    * ``"softmax_then_topk"``: the chosen entries of the softmax over all experts, summing to less than 1
      (Switch multiplies its one expert's output by that expert's probability p_i(x), Fedus et al. 2022).
    """
    z = _logits(logits)
    k = v.positive_int(top_k, "top_k")
    n_experts = z.shape[1]
    if k > n_experts:
        raise ValueError(f"top_k must be between 1 and the number of experts ({n_experts}), got {k}")
    if order not in ROUTING_ORDERS:
        raise ValueError(f"order must be one of {ROUTING_ORDERS}, got {order!r}")
    if k < n_experts:
        chosen = np.argpartition(-z, k - 1, axis=1)[:, :k]
    else:
        chosen = np.tile(np.arange(n_experts), (z.shape[0], 1))
    chosen_logits = np.take_along_axis(z, chosen, axis=1)
    ranking = np.argsort(-chosen_logits, axis=1, kind="stable")
    index = np.take_along_axis(chosen, ranking, axis=1)
    chosen_logits = np.take_along_axis(chosen_logits, ranking, axis=1)
    if order == "topk_then_softmax":
        weights = softmax(chosen_logits, axis=1)
    else:
        weights = np.take_along_axis(softmax(z, axis=1), index, axis=1)
    return index, weights


def _expert_index(expert_index: object, n_experts: int, name: str = "expert_index") -> np.ndarray:
    array = np.asarray(expert_index)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold whole numbers (expert numbers), got dtype {array.dtype}")
    if array.ndim not in (1, 2) or array.size == 0:
        raise ValueError(f"{name} must have shape (tokens,) or (tokens, top_k), got {array.shape}")
    if array.min() < 0 or array.max() >= n_experts:
        raise ValueError(f"{name} must lie in [0, n_experts - 1] = [0, {n_experts - 1}], "
                         f"got values from {array.min()} to {array.max()}")
    return array.reshape(array.shape[0], -1)


def expert_capacity(n_tokens: int, n_experts: int, capacity_factor: float, top_k: int = 1) -> int:
    """Token slots per expert: (tokens per batch / experts) x capacity factor (Fedus et al. 2022, Eq. 3),
    times ``top_k`` when each token makes ``top_k`` assignments, rounded down to whole slots (at least one)."""
    t = v.positive_int(n_tokens, "n_tokens")
    e = v.positive_int(n_experts, "n_experts")
    k = v.positive_int(top_k, "top_k")
    if k > e:
        raise ValueError(f"top_k must be between 1 and n_experts = {e}, got {k}")
    cf = v.scalar(capacity_factor, "capacity_factor")
    return max(1, math.floor(k * t / e * cf + 1e-9))


def capacity_mask(expert_index: ArrayLike, n_experts: int, capacity: int) -> np.ndarray:
    """Boolean mask, shaped like ``expert_index``, of the assignments an expert with ``capacity`` slots keeps.

    Slots are filled first by every token's first choice in token order, then by second choices, and so on
    (first choices have priority, as in GShard); an assignment that finds its expert full is dropped (the
    token's residual connection carries it past the layer, Fedus et al. 2022, Sec. 2.2).
    """
    e = v.positive_int(n_experts, "n_experts")
    index = _expert_index(expert_index, e)
    cap = v.positive_int(capacity, "capacity")
    flat = index.T.ravel()  # choice-major: all first choices, then all second choices
    order = np.argsort(flat, kind="stable")
    sorted_experts = flat[order]
    starts = np.searchsorted(sorted_experts, np.arange(e))
    position = np.empty_like(order)
    position[order] = np.arange(flat.size) - starts[sorted_experts]
    keep = (position < cap).reshape(index.shape[1], index.shape[0]).T
    return keep.reshape(np.shape(expert_index))


def dropped_fraction(expert_index: ArrayLike, n_experts: int, capacity: int) -> float:
    """Share of the assignments in ``expert_index`` (tokens, or tokens x top_k) dropped for lack of capacity."""
    return float(1.0 - capacity_mask(expert_index, n_experts, capacity).mean())


def expert_load(expert_index: ArrayLike, n_experts: int) -> np.ndarray:
    """Share of the assignments each expert receives (sums to 1; 1 / n_experts each when balanced)."""
    e = v.positive_int(n_experts, "n_experts")
    index = _expert_index(expert_index, e)
    return np.bincount(index.ravel(), minlength=e) / index.size


def load_balancing_loss(router_probs: ArrayLike, expert_index: ArrayLike, alpha: float = SWITCH_ALPHA) -> float:
    """Switch Transformer's auxiliary loss alpha N sum_i f_i P_i (Fedus et al. 2022, Eq. 4-6).

    ``router_probs`` (tokens, N experts): each token's softmax over the experts; ``expert_index`` (tokens,):
    the expert each token is sent to (its top-1 choice). f_i is the share of tokens sent to expert i, P_i the
    mean router probability of expert i. Perfectly uniform routing gives alpha; sending every token to one
    expert with probability 1 gives alpha N, the largest value.
    """
    probs = v.non_negative(router_probs, "router_probs")
    if probs.ndim != 2:
        raise ValueError(f"router_probs must have shape (tokens, experts), got {probs.shape}")
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("router_probs must sum to 1 over the experts for every token (a softmax output)")
    n_tokens, n_experts = probs.shape
    index = np.asarray(expert_index)
    if index.ndim != 1 or index.shape[0] != n_tokens:
        raise ValueError(f"expert_index must have shape (tokens,) = ({n_tokens},), one top-1 expert per token, "
                         f"got {index.shape}")
    index = _expert_index(index, n_experts)[:, 0]
    a = v.scalar(alpha, "alpha", v.non_negative)
    f = np.bincount(index, minlength=n_experts) / n_tokens
    p = probs.mean(axis=0)
    return float(a * n_experts * np.sum(f * p))


def expected_fraction_of_experts_used(batch_tokens: ArrayLike, n_experts: int, top_k: int) -> float | np.ndarray:
    """Expected share of a layer's experts that at least one of ``batch_tokens`` tokens uses, if each token picks
    ``top_k`` distinct experts uniformly at random: 1 - (1 - top_k / n_experts) ** batch_tokens. When decoding,
    every expert used in a step must be read from memory."""
    b = v.positive(batch_tokens, "batch_tokens")
    e = v.positive_int(n_experts, "n_experts")
    k = v.positive_int(top_k, "top_k")
    if k > e:
        raise ValueError(f"top_k must be between 1 and n_experts = {e}, got {k}")
    return v.scalar_or_array(1.0 - (1.0 - k / e) ** b)


# ------------------------------------------------------------------------------------------------
# A numpy forward pass
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoELayer:
    """The weights of one MoE layer: a router ``router`` (d_model, E) and E experts, each
    x -> (act(x W_in) [* silu(x W_gate)]) W_out with ``w_in`` (E, d_model, d_ff), ``w_out`` (E, d_ff, d_model)
    and, for a gated (SwiGLU) expert, ``w_gate`` (E, d_model, d_ff)."""

    router: np.ndarray
    w_in: np.ndarray
    w_out: np.ndarray
    w_gate: np.ndarray | None = None

    def __post_init__(self) -> None:
        if np.ndim(self.router) != 2:
            raise ValueError(f"router must have shape (d_model, experts), got {np.shape(self.router)}")
        d, e = np.shape(self.router)
        if np.shape(self.w_in)[:2] != (e, d) or np.shape(self.w_out)[0::2] != (e, d):
            raise ValueError("w_in must have shape (experts, d_model, d_ff) and w_out (experts, d_ff, d_model), "
                             f"matching router (d_model, experts) = {(d, e)}")
        if self.w_gate is not None and np.shape(self.w_gate) != np.shape(self.w_in):
            raise ValueError("w_gate must have the shape of w_in")

    @property
    def n_experts(self) -> int:
        return int(np.shape(self.router)[1])


def init_moe_layer(d_model: int, d_ff: int, n_experts: int, *, gated: bool = True, seed: int = 0,
                   dtype: type = np.float32) -> MoELayer:
    """Random weights for an MoE layer (scaled by 1 / sqrt(fan-in)), for toy runs and benchmarks."""
    d, f, e = (v.positive_int(x, n) for x, n in ((d_model, "d_model"), (d_ff, "d_ff"), (n_experts, "n_experts")))
    rng = np.random.default_rng(v.seed(seed))

    def draw(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) / math.sqrt(shape[-2])).astype(dtype)

    return MoELayer(draw(d, e), draw(e, d, f), draw(e, f, d), draw(e, d, f) if gated else None)


@dataclass(frozen=True)
class MoEOutput:
    """What :func:`moe_forward` returns: the outputs and how the tokens were routed."""

    y: np.ndarray
    expert_index: np.ndarray
    gate_weights: np.ndarray
    kept: np.ndarray
    router_probs: np.ndarray = field(repr=False)


def moe_forward(x: ArrayLike, layer: MoELayer, top_k: int, *, order: str = "topk_then_softmax",
                capacity_factor: float | None = None) -> MoEOutput:
    """y = sum over the chosen experts of g_i(x) E_i(x), for a batch ``x`` of shape (tokens, d_model).

    The router picks ``top_k`` experts per token (:func:`top_k_route`, in ``order``). With a
    ``capacity_factor`` each expert processes at most :func:`expert_capacity` assignments and the rest are
    dropped (their term is missing from y); without one nothing is dropped. Each expert runs once, on the
    tokens sent to it, so the cost is that of ``top_k`` experts per token, not of all of them.
    """
    if not isinstance(layer, MoELayer):
        raise TypeError(f"layer must be an MoELayer (see init_moe_layer), got {type(layer).__name__}")
    tokens = np.asarray(x)
    if tokens.ndim != 2 or tokens.shape[1] != layer.router.shape[0]:
        raise ValueError(f"x must have shape (tokens, d_model = {layer.router.shape[0]}), got {tokens.shape}")
    if not np.issubdtype(tokens.dtype, np.floating):
        tokens = v.finite(tokens, "x")
    logits = tokens @ layer.router
    index, weights = top_k_route(logits, top_k, order=order)
    if capacity_factor is None:
        kept = np.ones(index.shape, dtype=bool)
    else:
        cap = expert_capacity(tokens.shape[0], layer.n_experts, capacity_factor, top_k)
        kept = capacity_mask(index, layer.n_experts, cap)
    y = np.zeros_like(tokens, dtype=np.result_type(tokens, layer.w_out))
    for expert in range(layer.n_experts):
        rows, slot = np.nonzero((index == expert) & kept)  # a token picks an expert at most once
        if rows.size == 0:
            continue
        xs = tokens[rows]
        h = xs @ layer.w_in[expert]
        if layer.w_gate is None:
            np.maximum(h, 0, out=h)
        else:
            g = xs @ layer.w_gate[expert]
            h *= g / (1 + np.exp(-g))  # SwiGLU: silu(x W_gate) * (x W_in)
        y[rows] += weights[rows, slot, None].astype(y.dtype) * (h @ layer.w_out[expert])
    return MoEOutput(y, index, weights, kept, softmax(logits))


# ------------------------------------------------------------------------------------------------
# A simulated router over training steps: collapse and two cures
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RouterHistory:
    """A router simulation, step by step: ``counts`` (steps, experts) assignments per expert,
    ``balancing_loss`` (steps,) the Switch loss with alpha = ``alpha`` (computed in every run, applied only
    with ``"aux_loss"``), ``bias`` (steps, experts) DeepSeek-V3's selection bias, and the settings."""

    counts: np.ndarray
    balancing_loss: np.ndarray
    bias: np.ndarray
    tokens_per_step: int
    top_k: int
    balancing: str
    alpha: float

    @property
    def load(self) -> np.ndarray:
        """Share of the assignments per expert at each step (steps, experts)."""
        return self.counts / (self.tokens_per_step * self.top_k)

    @property
    def n_experts(self) -> int:
        return int(self.counts.shape[1])

    def dropped(self, capacity_factor: float) -> np.ndarray:
        """Share of the assignments dropped at each step for a ``capacity_factor``: the assignments beyond
        each expert's :func:`expert_capacity`, summed over experts (how many are dropped does not depend on
        which are)."""
        cap = expert_capacity(self.tokens_per_step, self.n_experts, capacity_factor, self.top_k)
        return np.maximum(self.counts - cap, 0).sum(axis=1) / (self.tokens_per_step * self.top_k)


def simulate_router(n_experts: int = 8, top_k: int = 2, n_steps: int = 1000, *, balancing: str = "none",
                    alpha: float = SWITCH_ALPHA, gamma: float = DEEPSEEK_V3_GAMMA, tokens_per_step: int = 512,
                    popularity_pull: float = 0.003, learning_rate: float = 10.0, seed: int = 0) -> RouterHistory:
    """A toy router trained for ``n_steps`` steps, in which popular experts become more popular.

    Each step draws ``tokens_per_step`` tokens x (16 random features); the logits are x W + u, with W fixed
    and random (tokens prefer different experts) and u a per-expert offset that training moves. The task is
    modelled, not learned: an expert that receives more tokens improves faster, so the task's gradient pulls
    u_i up in proportion to how far expert i's share f_i lies above the even share (``popularity_pull``).
    Left alone, that feedback concentrates the tokens on a few experts (collapse). Cures (``balancing``):

    * ``"aux_loss"``: gradient descent on the Switch loss alpha N sum f_i P_i as well (through P_i, since f_i
      has no gradient), with the same ``learning_rate``;
    * ``"bias"``: DeepSeek-V3's auxiliary-loss-free method: a bias b_i added to the logits for choosing the
      experts only (not for the gate weights), lowered by ``gamma`` after a step in which expert i had more
      than the mean load and raised by ``gamma`` when it had less (DeepSeek-AI 2024, Sec. 2.1.2).

    The constants of the toy (features, pull, learning rate) are illustrative: it shows the mechanisms, not a
    real model's time scales.
    """
    e = v.positive_int(n_experts, "n_experts")
    k = v.positive_int(top_k, "top_k")
    if k > e:
        raise ValueError(f"top_k must be between 1 and n_experts = {e}, got {k}")
    steps = v.positive_int(n_steps, "n_steps")
    t = v.positive_int(tokens_per_step, "tokens_per_step")
    if balancing not in BALANCING_METHODS:
        raise ValueError(f"balancing must be one of {BALANCING_METHODS}, got {balancing!r}")
    a = v.scalar(alpha, "alpha", v.non_negative)
    g = v.scalar(gamma, "gamma", v.non_negative)
    pull = v.scalar(popularity_pull, "popularity_pull", v.non_negative)
    lr = v.scalar(learning_rate, "learning_rate")
    rng = np.random.default_rng(v.seed(seed))
    d_features = 16
    w = rng.standard_normal((d_features, e)) / math.sqrt(d_features)
    u = 0.01 * rng.standard_normal(e)
    b = np.zeros(e)
    counts = np.zeros((steps, e), dtype=np.int64)
    aux = np.zeros(steps)
    biases = np.zeros((steps, e))
    rows = np.arange(t)[:, None]
    for step in range(steps):
        x = rng.standard_normal((t, d_features))
        logits = x @ w + u
        probs = softmax(logits)
        selection = logits + b
        chosen = np.argpartition(-selection, k - 1, axis=1)[:, :k] if k < e else np.tile(np.arange(e), (t, 1))
        first = chosen[rows[:, 0], np.argmax(selection[rows, chosen], axis=1)]
        count = np.bincount(chosen.ravel(), minlength=e)
        counts[step] = count
        share = count / (t * k)
        f_top1 = np.bincount(first, minlength=e) / t
        aux[step] = a * e * float(np.sum(f_top1 * probs.mean(axis=0)))
        biases[step] = b
        gradient = -pull * (share - 1.0 / e)  # the task: popular experts get more popular
        if balancing == "aux_loss":
            # d/du_j of alpha N sum_i f_i mean_t p_ti = alpha N mean_t p_tj (f_j - sum_i f_i p_ti)
            gradient += a * e * np.mean(probs * (f_top1[None, :] - (probs @ f_top1)[:, None]), axis=0)
        u = u - lr * gradient
        u -= u.mean()
        if balancing == "bias":
            b -= g * np.sign(count - count.mean())
    return RouterHistory(counts, aux, biases, t, k, balancing, a)


# ------------------------------------------------------------------------------------------------
# Scaling laws for routed models
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GranularityLaw:
    """L(N, D, G) = c + (g / G**gamma + a) / N**alpha + b / D**beta (Krajewski et al. 2024, Eq. 9).

    N: total non-embedding parameters of the model (all experts); D: training tokens; G: granularity, the
    ratio of the dense feed-forward width to an expert's width (each token goes to G times as many experts,
    each G times narrower, so the active parameters stay the same). Fitted at an expansion rate of 64 (the
    MoE layer holds 64 times the parameters of the dense feed-forward block). With g = 0 it is a dense law.
    """

    a: float
    alpha: float
    b: float
    beta: float
    g: float
    gamma: float
    c: float

    def __post_init__(self) -> None:
        for name in ("a", "alpha", "b", "beta", "c"):
            v.positive(getattr(self, name), name)
        for name in ("g", "gamma"):
            v.non_negative(getattr(self, name), name)

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike, granularity: ArrayLike = 1.0) -> float | np.ndarray:
        """Predicted loss (nats per token) of a model of ``n_params`` total parameters on ``n_tokens`` tokens."""
        n = v.positive(n_params, "n_params")
        d = v.positive(n_tokens, "n_tokens")
        gran = v.positive(granularity, "granularity")
        return v.scalar_or_array(self.c + (self.g / gran**self.gamma + self.a) / n**self.alpha + self.b / d**self.beta)

    def as_chinchilla_law(self, granularity: float = 1.0) -> ChinchillaLaw:
        """At a fixed granularity the law has Chinchilla's form: E = c, A = g / G**gamma + a, B = b."""
        gran = v.scalar(granularity, "granularity")
        return ChinchillaLaw(E=self.c, A=self.g / gran**self.gamma + self.a, B=self.b, alpha=self.alpha,
                             beta=self.beta)

    def compute_optimal(self, flops: ArrayLike, active_fraction: float, granularity: float = 1.0
                        ) -> tuple[float | np.ndarray, float | np.ndarray]:
        """``(total_params, n_tokens)`` minimising the loss for a training budget of ``flops``, when training
        costs 6 N_active D with N_active = ``active_fraction`` x N (router cost left out). The same allocation as
        a Chinchilla law (chapter 2) with budget flops / active_fraction in units of 6 N_total D."""
        c = v.positive(flops, "flops")
        r = v.scalar(active_fraction, "active_fraction", v.in_range, 0.0, 1.0, low_open=True)
        return self.as_chinchilla_law(granularity).compute_optimal(c / r)


#: Krajewski et al. 2024 (arXiv 2402.07871), Table 1, the MoE fit: a = 18.1, alpha = 0.115, b = 30.8,
#: beta = 0.147, g = 2.1, gamma = 0.58, c = 0.47.
KRAJEWSKI_2024_MOE = GranularityLaw(a=18.1, alpha=0.115, b=30.8, beta=0.147, g=2.1, gamma=0.58, c=0.47)
#: Krajewski et al. 2024, Table 1, the dense fit (same form, no granularity term): a = 16.3, alpha = 0.126,
#: b = 26.7, beta = 0.127, c = 0.47.
KRAJEWSKI_2024_DENSE = GranularityLaw(a=16.3, alpha=0.126, b=26.7, beta=0.127, g=0.0, gamma=0.0, c=0.47)
#: Krajewski et al.'s expansion rate E (parameters of the MoE layer / of the dense feed-forward block).
KRAJEWSKI_2024_EXPANSION = 64


def expansion_active_fraction(expansion: ArrayLike, ffn_to_attention: float = 2.0) -> float | np.ndarray:
    """Active share of the non-embedding parameters when the feed-forward block is expanded ``expansion``
    times into experts and the token uses the original amount: (1 + r) / (1 + r E), with r the ratio of
    feed-forward to attention parameters (2 for the standard block: 8 d**2 against 4 d**2)."""
    e = v.positive(expansion, "expansion")
    r = v.scalar(ffn_to_attention, "ffn_to_attention")
    if (e < 1).any():
        raise ValueError(f"expansion must be >= 1 (an MoE layer holds at least the dense block), got {e.min():g}")
    return v.scalar_or_array((1 + r) / (1 + r * e))
