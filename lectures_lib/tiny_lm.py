"""A tiny character-level language model, trained in seconds with numpy on Python's own standard library.

Nothing is downloaded: the text is the source code of a fixed list of standard-library modules (read with
``inspect.getsource``), which every Python installation carries. The model reads the previous
:data:`CONTEXT` characters, embeds each in :data:`EMBED` dimensions, passes the concatenation through one
ReLU layer of :data:`HIDDEN` units and predicts the next character: about 45,000 parameters. Training is
seeded and deterministic (Adam, fixed batches). The held-out loss, in nats per character, is measured on
other modules than the training text, so the book can quantize real trained weights and measure what it costs.
Sources differ a little between Python versions, so the losses do too (by about a percent).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

from . import _validate as v
from ._numerics import log_softmax_unchecked, softmax_unchecked

#: Modules whose source is the training text, and those held out for the loss.
TRAIN_MODULES: tuple[str, ...] = ("textwrap", "string", "difflib", "heapq", "bisect", "fractions", "calendar",
                                  "functools", "shlex", "fnmatch", "glob", "csv", "pprint", "colorsys", "base64",
                                  "quopri", "random", "statistics", "dataclasses", "enum", "abc", "copy",
                                  "contextlib", "operator", "numbers", "decimal", "argparse", "gettext")
HELD_OUT_MODULES: tuple[str, ...] = ("tokenize", "queue", "sched", "ipaddress")
#: Characters of the held-out text used for the loss (its beginning), enough for three decimals.
HELD_OUT_CHARS = 65536
#: The alphabet: newline and the 95 printable ASCII characters; anything else is read as a space.
VOCAB = "\n" + "".join(chr(c) for c in range(32, 127))
CONTEXT = 8
EMBED = 16
HIDDEN = 192
#: The weight matrices (quantized by the book); the biases stay in float.
MATRICES: tuple[str, ...] = ("embedding", "hidden", "output")


def module_text(names: tuple[str, ...]) -> str:
    """The source of the named standard-library modules, concatenated."""
    return "\n".join(inspect.getsource(importlib.import_module(name)) for name in names)


def encode(text: str) -> np.ndarray:
    """Character ids in :data:`VOCAB` (characters outside it become spaces)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    table = np.full(0x110000 if any(ord(c) > 255 for c in text) else 256, VOCAB.index(" "), np.int64)
    for i, c in enumerate(VOCAB):
        table[ord(c)] = i
    return table[np.frombuffer(text.encode("utf-32-le"), np.uint32)]


def _ids(ids: object, name: str = "ids") -> np.ndarray:
    """``ids`` as a 1-D integer array of character ids in [0, len(VOCAB)), long enough for one prediction."""
    if isinstance(ids, str):
        raise TypeError(f"{name} must be an array of character ids, got a string: pass encode(text)")
    if isinstance(ids, (bool, np.bool_, bytes)) or ids is None:
        raise TypeError(f"{name} must be an array of character ids (whole numbers), got {ids!r}")
    array = np.asarray(ids)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold character ids (whole numbers), got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array of character ids, got shape {array.shape}")
    if array.size <= CONTEXT:
        raise ValueError(f"{name} needs more than CONTEXT = {CONTEXT} characters, got {array.size}")
    if array.min() < 0 or array.max() >= len(VOCAB):
        raise ValueError(f"{name} must lie in [0, {len(VOCAB) - 1}] (indices into VOCAB), got values from "
                         f"{array.min()} to {array.max()}")
    return array


def _windows(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every context of :data:`CONTEXT` ids and the id that follows it."""
    contexts = np.lib.stride_tricks.sliding_window_view(ids[:-1], CONTEXT)
    return contexts, ids[CONTEXT:]


@dataclass(frozen=True)
class TinyLM:
    """The trained weights (``weights[name]``, float32) and a forward pass; frozen, so a quantized copy is a new
    model (:meth:`with_matrices`)."""

    weights: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_params(self) -> int:
        """Number of parameters, biases included."""
        return int(sum(w.size for w in self.weights.values()))

    def hidden_input(self, contexts: np.ndarray) -> np.ndarray:
        """The concatenated embeddings of each context (tokens x CONTEXT*EMBED)."""
        return self.weights["embedding"][contexts].reshape(len(contexts), -1)

    def hidden_activations(self, contexts: np.ndarray) -> np.ndarray:
        """The ReLU layer's output (tokens x HIDDEN), the input of the output layer."""
        w = self.weights
        return np.maximum(self.hidden_input(contexts) @ w["hidden"].T + w["hidden_bias"], 0.0)

    def logits(self, contexts: np.ndarray) -> np.ndarray:
        """Unnormalised next-character scores (tokens x vocabulary)."""
        w = self.weights
        return self.hidden_activations(contexts) @ w["output"].T + w["output_bias"]

    def loss(self, ids: np.ndarray) -> float:
        """Mean cross-entropy of predicting each character of ``ids`` from the previous ones, in nats.

        ``ids``: a 1-D array of character ids (:func:`encode` of a text) longer than :data:`CONTEXT`."""
        contexts, targets = _windows(_ids(ids))
        total = 0.0
        for start in range(0, len(targets), 16384):
            log_p = log_softmax_unchecked(self.logits(contexts[start:start + 16384]).astype(np.float64), axis=1)
            total -= float(log_p[np.arange(len(log_p)), targets[start:start + 16384]].sum())
        return total / len(targets)

    def with_matrices(self, transform: Callable[[np.ndarray], np.ndarray]) -> TinyLM:
        """A copy whose weight matrices (:data:`MATRICES`) are replaced by ``transform(matrix)``: for example a
        quantization round trip. Biases are kept."""
        weights = dict(self.weights)
        for name in MATRICES:
            new = np.asarray(transform(weights[name]), dtype=np.float32)
            if new.shape != weights[name].shape:
                raise ValueError(f"transform changed the shape of {name}: {weights[name].shape} -> {new.shape}")
            weights[name] = new
        return TinyLM(weights)


@dataclass(frozen=True)
class TrainedLM:
    """The result of :func:`train_tiny_lm`: the model, the held-out ids, and checkpoints saved during training
    (``checkpoints[i]`` after ``checkpoint_tokens[i]`` training characters)."""

    model: TinyLM
    held_out: np.ndarray = field(repr=False)
    train_tokens: int
    checkpoints: tuple[TinyLM, ...] = field(repr=False)
    checkpoint_tokens: tuple[int, ...]

    @cached_property
    def held_out_loss(self) -> float:
        """The trained model's loss on the held-out text, nats per character (computed once, then cached)."""
        return self.model.loss(self.held_out)


def _initial(rng: np.random.Generator, hidden: int = HIDDEN) -> dict[str, np.ndarray]:
    fan_in = CONTEXT * EMBED
    return {
        "embedding": rng.normal(0, 1.0, (len(VOCAB), EMBED)).astype(np.float32),
        "hidden": (rng.normal(0, 1.0, (hidden, fan_in)) * np.sqrt(2.0 / fan_in)).astype(np.float32),
        "hidden_bias": np.zeros(hidden, np.float32),
        "output": (rng.normal(0, 1.0, (len(VOCAB), hidden)) / np.sqrt(hidden)).astype(np.float32),
        "output_bias": np.zeros(len(VOCAB), np.float32),
    }


def _gradients(w: dict[str, np.ndarray], contexts: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    n = len(targets)
    x = w["embedding"][contexts].reshape(n, -1)
    pre = x @ w["hidden"].T + w["hidden_bias"]
    h = np.maximum(pre, 0.0)
    p = softmax_unchecked(h @ w["output"].T + w["output_bias"], axis=1)  # float32, like the weights
    p[np.arange(n), targets] -= 1.0
    p /= n
    dh = (p @ w["output"]) * (pre > 0)
    dx = (dh @ w["hidden"]).reshape(n, CONTEXT, EMBED)
    d_embedding = np.zeros_like(w["embedding"])
    np.add.at(d_embedding, contexts.reshape(-1), dx.reshape(-1, EMBED))
    return {"embedding": d_embedding, "hidden": dh.T @ x, "hidden_bias": dh.sum(axis=0),
            "output": p.T @ h, "output_bias": p.sum(axis=0)}


def train_tiny_lm(seed: int = 0, steps: int = 2400, batch_size: int = 512, learning_rate: float = 0.004,
                  checkpoint_every: int = 300, hidden: int = HIDDEN) -> TrainedLM:
    """Train :class:`TinyLM` on :data:`TRAIN_MODULES` with Adam (learning rate decayed linearly to a tenth),
    seeded and deterministic; a few seconds on one core. ``hidden`` is the width of the ReLU layer (the model
    size). Cached: a second call with the same arguments returns the same object."""
    # Checked before the cache, so that an unhashable argument gets this module's message, not lru_cache's.
    return _train_tiny_lm(v.seed(seed), v.positive_int(steps, "steps"), v.positive_int(batch_size, "batch_size"),
                          v.scalar(learning_rate, "learning_rate"),
                          v.positive_int(checkpoint_every, "checkpoint_every"), v.positive_int(hidden, "hidden"))


@lru_cache(maxsize=4)
def _train_tiny_lm(seed: int, steps: int, batch_size: int, lr: float, checkpoint_every: int,
                   hidden: int) -> TrainedLM:
    rng = np.random.default_rng(seed)
    contexts, targets = _windows(encode(module_text(TRAIN_MODULES)))
    held_out = encode(module_text(HELD_OUT_MODULES))[:HELD_OUT_CHARS]
    w = _initial(rng, hidden)
    m = {k: np.zeros_like(a) for k, a in w.items()}
    s = {k: np.zeros_like(a) for k, a in w.items()}
    beta1, beta2 = 0.9, 0.999
    checkpoints, seen = [], []
    for step in range(1, steps + 1):
        batch = rng.integers(0, len(targets), batch_size)
        grads = _gradients(w, contexts[batch], targets[batch])
        rate = lr * (1.0 - 0.9 * (step - 1) / steps)
        for k, g in grads.items():
            m[k] = beta1 * m[k] + (1 - beta1) * g
            s[k] = beta2 * s[k] + (1 - beta2) * g * g
            m_hat = m[k] / (1 - beta1**step)
            s_hat = s[k] / (1 - beta2**step)
            w[k] = (w[k] - rate * m_hat / (np.sqrt(s_hat) + 1e-8)).astype(np.float32)
        if step % checkpoint_every == 0 or step == steps:
            checkpoints.append(TinyLM({k: a.copy() for k, a in w.items()}))
            seen.append(step * batch_size)
    return TrainedLM(checkpoints[-1], held_out, steps * batch_size, tuple(checkpoints), tuple(seen))


def quantized_loss(model: TinyLM, ids: np.ndarray, bits: int, scheme: str = "absmax",
                   block_size: int | str | None = None) -> float:
    """Loss on ``ids`` after a round trip of every weight matrix through
    :func:`lectures_lib.quantization.quantize`; ``block_size="row"`` gives one scale per row (per output
    channel)."""
    from .quantization import round_trip

    if not isinstance(model, TinyLM):
        raise TypeError(f"model must be a TinyLM, got {type(model).__name__}")
    ids = _ids(ids)
    if block_size == "row":
        return model.with_matrices(lambda w: round_trip(w, bits, scheme, w.shape[-1])).loss(ids)
    if isinstance(block_size, str):
        raise ValueError(f"block_size must be None, a whole number >= 1 or 'row', got {block_size!r}")
    return model.with_matrices(lambda w: round_trip(w, bits, scheme, block_size)).loss(ids)


def stored_bytes(model: TinyLM, bits: int, scheme: str = "absmax", block_size: int | str | None = None) -> int:
    """Exact bytes of the quantized weight matrices (codes, scales, zero points), as :func:`quantized_loss`
    stores them; biases not included."""
    from .quantization import quantize

    total = 0
    for name in MATRICES:
        w = model.weights[name]
        total += quantize(w, bits, scheme, w.shape[-1] if block_size == "row" else block_size).nbytes
    return total
