"""The engine's transformer tier: a fine-tuned MiniLM classifier shipped in the package.

The model (``model/model.onnx``, 8-bit, with ``tokenizer.json`` and ``config.json``) reads
what a text asks rather than how it is worded. ``scripts/train_model.py`` writes it; its
``config.json`` names the base model, its licence and hashes, and holds the combiner that
weighs the model's probability with the rest of the engine's risk. A two-layer student of it,
``screen.onnx``, reads every piece first and hands on to the model only the pieces it finds
at all suspicious; both graphs read their words' vectors from one shared table
(``embeddings.npz``, looked up here as the graphs' ``DequantizeLinear`` did).

Cost is bounded per text: a text of up to ``full_tokens`` tokens is read whole in
overlapping 128-token windows; a longer one is read in at most ``max_pieces`` pieces: its
first window, its last, and the lines and sentences the rest of the engine finds most
suspicious (the segment model's ranking and the rules' findings), each read on its own so
one planted line in a 20 KB page is not diluted by the page around it. Tokenising is
linear in the text; the model's share of the time is capped whatever the input.

onnxruntime, tokenizers and numpy (the ``onnx`` extra) are imported on first use, never
by ``import lockllm``. Without them the engine runs on its rules and linear models and
says so once in the log.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from typing import Any, Callable, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["Combiner", "TransformerTier", "shared_tier", "runtime_available"]

_log = logging.getLogger("lockllm.engine")
# Ranges of a text worth reading on their own, or a function computing them on demand.
Suspects = Union[Sequence[Tuple[int, int]], Callable[[], Sequence[Tuple[int, int]]]]
_MODEL_DIR = "model"
WINDOW_TOKENS = 128
_STRIDE = 32


def runtime_available() -> bool:
    """Whether onnxruntime, tokenizers and numpy can be imported (nothing is imported)."""
    import importlib.util

    return all(
        importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tokenizers", "numpy")
    )


class Combiner:
    """Weighs the engine's risk without the model (``base``) and the model's probability
    into one risk on the same threshold scale.

    A logistic regression over the two log-odds (fitted on rows whose sources neither the
    model nor the thresholds saw), then a monotone piecewise-linear map whose knots send
    the combined score's thresholds at the target false-positive rates onto the engine's
    own thresholds, so ``THRESHOLDS`` keep their meaning with or without the model.
    """

    __slots__ = ("bias", "knots", "w_base", "w_model")

    def __init__(
        self, bias: float, w_base: float, w_model: float, knots: Sequence[Tuple[float, float]]
    ) -> None:
        self.bias = bias
        self.w_base = w_base
        self.w_model = w_model
        self.knots = tuple(sorted((float(a), float(b)) for a, b in knots))

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> Combiner:
        """Read the ``combiner`` object of the model's ``config.json``."""
        return cls(
            float(data["bias"]),
            float(data["w_base"]),
            float(data["w_model"]),
            [(float(a), float(b)) for a, b in data["knots"]],
        )

    def score(self, base: float, p_model: float) -> float:
        """The fitted score (before the threshold map)."""
        from ._model import sigmoid

        return sigmoid(self.bias + self.w_base * _logit(base) + self.w_model * _logit(p_model))

    def risk(self, base: float, p_model: float) -> float:
        """The combined risk on the engine's threshold scale."""
        s = self.score(base, p_model)
        pts = [(0.0, 0.0), *self.knots, (1.0, 1.0)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if s <= x1:
                return y0 + (y1 - y0) * (s - x0) / max(x1 - x0, 1e-12)
        return 1.0


def _logit(p: float) -> float:
    import math

    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


class TransformerTier:
    """The shipped classifier with its window selection and combiner; thread-safe.

    ``threads`` sets onnxruntime's intra-op threads (default 1: one scan, one core; the
    gateway and ``scan_many`` run scans side by side instead). ``full_tokens``: texts up
    to this many tokens are read whole. ``max_pieces``: the most pieces read of a longer
    text. ``screen``: read each piece first with the model's two-layer screen, when the
    model directory has one, and with the full model only where the screen's probability
    reaches its threshold (``False``: every piece through the full model).
    """

    def __init__(
        self,
        *,
        path: Optional[str] = None,
        threads: int = 1,
        full_tokens: int = 384,
        max_pieces: int = 6,
        screen: bool = True,
    ) -> None:
        self._path = path
        self._threads = threads
        self.full_tokens = full_tokens
        self.max_pieces = max_pieces
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._np: Any = None
        self._pad = 0
        self._inputs: Tuple[str, ...] = ()
        self._use_screen = screen
        self._screen: Any = None
        self._screen_inputs: Tuple[str, ...] = ()
        self._table: Optional[Tuple[Any, Any, Any]] = None
        self.screen_threshold: Optional[float] = None
        self._unreadable: FrozenSet[int] = frozenset()
        self._continuations: FrozenSet[int] = frozenset()
        self.config: Mapping[str, Any] = {}
        self.combiner: Optional[Combiner] = None

    def _directory(self) -> Any:
        if self._path is not None:
            from pathlib import Path

            return Path(self._path)
        return resources.files(__package__).joinpath(_MODEL_DIR)

    @property
    def loaded(self) -> bool:
        """Whether the model has been read."""
        return self._session is not None

    def _ready(self) -> bool:
        return self._session is not None

    def load(self) -> None:
        """Read the model, tokenizer and configuration (once; later calls return at once)."""
        if self._ready():
            return
        with self._lock:
            if self._ready():  # another thread read it while this one waited
                return
            import importlib

            np = importlib.import_module("numpy")
            ort: Any = importlib.import_module("onnxruntime")
            Tokenizer: Any = importlib.import_module("tokenizers").Tokenizer

            folder = self._directory()
            config = json.loads(folder.joinpath("config.json").read_text("utf-8"))
            tokenizer = Tokenizer.from_str(folder.joinpath("tokenizer.json").read_text("utf-8"))
            tokenizer.no_padding()
            tokenizer.no_truncation()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1

            def open_graph(name: str, disabled: Sequence[str] = ()) -> Any:
                return ort.InferenceSession(
                    folder.joinpath(name).read_bytes(),
                    sess_options=options,
                    providers=["CPUExecutionProvider"],
                    disabled_optimizers=list(disabled),
                )

            session = open_graph("model.onnx")
            self._inputs = tuple(i.name for i in session.get_inputs())
            if _VECTORS in self._inputs:
                self._table = _read_table(np, folder.joinpath("embeddings.npz").read_bytes())
            screen = config.get("screen")
            if self._use_screen and isinstance(screen, Mapping):
                # onnxruntime fuses each residual Add and LayerNorm into one kernel that
                # runs slower on one core than the two it replaces: unfused, the screen
                # reads a 128-token window in 1.5 ms rather than 1.85, with the same
                # probabilities to about 1e-8. The full model stays fused: its combiner
                # was fitted on its fused readings, which unfusing moves (by 0.07 in a
                # logit, through the int8 layers' rounding).
                self._screen = open_graph("screen.onnx", _SLOWER_FUSIONS)
                self._screen_inputs = tuple(i.name for i in self._screen.get_inputs())
                self.screen_threshold = float(screen["threshold"])
            self._pad = tokenizer.token_to_id("[PAD]") or 0
            self._continuations = frozenset(
                i for token, i in tokenizer.get_vocab().items() if token.startswith("##")
            )
            self._unreadable = frozenset(
                i
                for token, i in tokenizer.get_vocab().items()
                if token == "[UNK]" or (len(token.lstrip("#")) == 1 and not token.isascii())
            )
            self._np = np
            self._tokenizer = tokenizer
            self.config = config
            raw = config.get("combiner")
            self.combiner = Combiner.from_config(raw) if isinstance(raw, Mapping) else None
            self._session = session

    # --- reading ------------------------------------------------------------------------

    def readable(self, piece: Sequence[int]) -> bool:
        """Whether the model can read ``piece``: at most half its tokens are unknown or single
        letters of a script its English vocabulary spells letter by letter (Cyrillic, Hangul,
        Arabic, Devanagari) or lacks (most Han characters), and at most three quarters are
        word-piece continuations (encoded runs). Such text is left to the rules, which read 24
        languages, and to the decoders."""
        body = piece[1:-1]
        if not body:
            return False
        unreadable = sum(1 for t in body if t in self._unreadable)
        if 2 * unreadable > len(body):
            return False
        # Encoded runs (base64, hex) break into word-piece continuations almost entirely;
        # natural languages stay well below (German about 0.6).
        return 4 * self._continued(piece) <= 3 * len(body)

    def _continued(self, piece: Sequence[int]) -> int:
        """How many tokens of ``piece`` are word-piece continuations (``##...``)."""
        return sum(1 for t in piece if t in self._continuations)

    def pieces(self, text: str, suspects: Sequence[Tuple[int, int]] = ()) -> List[List[int]]:
        """Token-id sequences (special tokens added) to read for ``text``.

        ``suspects``: ranges of ``text``, most suspicious first, read on their own when
        the text is too long to read whole.
        """
        return [ids for ids, _ in self._pieces(text, suspects) if ids]

    def _pieces(self, text: str, suspects: Suspects) -> List[Tuple[List[int], Tuple[int, int]]]:
        """``pieces`` with the character range of ``text`` each one covers. ``suspects`` may
        be a function giving them: it is called only for a text too long to read whole."""
        self.load()
        tok = self._tokenizer
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: one "?" each, so offsets still hold
            text = text.encode("utf-8", "replace").decode("utf-8")
        enc = tok.encode(text, add_special_tokens=False)
        ids: List[int] = enc.ids
        offsets: Sequence[Tuple[int, int]] = enc.offsets
        cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        body = WINDOW_TOKENS - 2
        out: List[Tuple[List[int], Tuple[int, int]]] = []
        if not ids:
            return out

        unreadable = self._unreadable

        def piece(first: int, last: int) -> Tuple[List[int], Tuple[int, int]]:
            a, b = offsets[first][0], offsets[last][1]
            # Characters the model cannot read ([UNK] swallows a word of 100+ characters,
            # such as a base64 run): a piece mostly of them is not offered to the model.
            hidden = sum(
                offsets[i][1] - offsets[i][0]
                for i in range(first, last + 1)
                if ids[i] in unreadable
            )
            if 2 * hidden > b - a:
                return [], (a, b)
            return [cls_id, *ids[first : last + 1], sep_id], (a, b)

        if len(ids) <= self.full_tokens:
            start = 0
            while True:
                out.append(piece(start, min(len(ids), start + body) - 1))
                if start + body >= len(ids):
                    break
                start += body - _STRIDE
            return out
        out.append(piece(0, body - 1))
        out.append(piece(len(ids) - body, len(ids) - 1))
        seen = {0, len(ids) - body}
        for s, e in suspects() if callable(suspects) else suspects:
            if len(out) >= self.max_pieces:
                break
            first = _token_at(offsets, s)
            last = _token_at(offsets, max(s, e - 1))
            if last - first + 1 > body:  # a long piece: its window around the start
                last = first + body - 1
            else:  # a short piece: centred in a window, with its neighbours for context
                pad = min(16, (body - (last - first + 1)) // 2)
                first, last = max(0, first - pad), min(len(ids) - 1, last + pad)
            if first in seen:
                continue
            seen.add(first)
            out.append(piece(first, last))
        return out

    def probabilities(self, batches: Sequence[Sequence[List[int]]]) -> List[float]:
        """For each text's pieces, the highest attack probability among them (0 if none).

        Each piece runs on its own. The model's int8 layers quantise their inputs with one
        scale per call, so pieces run together would change each other's probabilities
        (by up to 0.40 on the blind set, flipping verdicts): one piece per call keeps a
        line's reading the same whether it stands alone, sits in a longer text or arrives
        in a ``scan_many`` batch.
        """
        self.load()
        best = [0.0] * len(batches)
        for i, pieces in enumerate(batches):
            for p in pieces:
                prob = self.piece_probability(p)
                if prob > best[i]:
                    best[i] = prob
        return best

    def piece_probability(self, piece: Sequence[int]) -> float:
        """Attack probability of one piece (token ids with special tokens).

        With a screen, the piece is read by the screen first; below the screen's threshold
        its probability stands (the full model is not run), at or above it the full
        model's probability replaces it. The threshold was chosen on held-out sources so
        that the screen passes on nearly every piece the full model flags.
        """
        self.load()
        np = self._np
        ids = np.asarray([piece], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if self._table is not None:
            table, scale, zero = self._table
            feeds[_VECTORS] = (table[ids].astype(np.int32) - zero).astype(np.float32) * scale
        if self._screen is not None and self.screen_threshold is not None:
            screened = _softmax_attack(
                np, self._screen.run(None, _pick(feeds, self._screen_inputs))
            )
            if screened < self.screen_threshold:
                return screened
        return _softmax_attack(np, self._session.run(None, _pick(feeds, self._inputs)))

    def probability(self, text: str, suspects: Sequence[Tuple[int, int]] = ()) -> float:
        """Attack probability of ``text`` (its most suspicious readable piece; 0.0 when the
        model can read none of it)."""
        found = self.read(text, suspects)
        return 0.0 if found is None else found

    def read(self, text: str, suspects: Suspects = ()) -> Optional[float]:
        """Attack probability of ``text``, or ``None`` when no piece of it is readable (see
        ``readable``; ciphertext is not read either): the model abstains and the rules,
        decoders and suffix detector decide."""
        if not text.strip():
            return None
        pieces = [
            ids
            for ids, (a, b) in self._pieces(text, suspects)
            if ids
            and self.readable(ids)
            # ciphertext: words broken into word pieces, and letters no language strings
            and not (2 * self._continued(ids) > len(ids) - 2 and _gibberish(text[a:b]))
        ]
        if not pieces:
            return None
        return self.probabilities([pieces])[0]


# Above this gibberish score of the character language model (``_charlm``: surprisal per
# character over benign text of many languages) a piece reads as ciphertext (ROT13, Caesar,
# reversed text; every natural language of the corpus scores below 1.6): the model, which
# reads words, leaves it to the decoders, which read it deciphered.
_GIBBERISH = 2.0


def _gibberish(text: str) -> bool:
    from ._charlm import get_charlm

    return get_charlm().score(text) >= _GIBBERISH


_VECTORS = "word_vectors"  # the graphs' input for the shared word table's vectors
_SLOWER_FUSIONS = ("SkipLayerNormFusion",)


def _read_table(np: Any, raw: bytes) -> Tuple[Any, Any, Any]:
    """The shared word-embedding table (8-bit), its scale and zero point."""
    import io

    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        return (data["table"], np.float32(data["scale"]), np.int32(data["zero_point"]))


def _pick(feeds: Mapping[str, Any], names: Sequence[str]) -> Mapping[str, Any]:
    return {k: feeds[k] for k in names}


def _softmax_attack(np: Any, outputs: Sequence[Any]) -> float:
    z = np.asarray(outputs[0][0], dtype=np.float64)
    z = z - z.max()
    return float(np.exp(z[1]) / np.exp(z).sum())


def _token_at(offsets: Sequence[Tuple[int, int]], char: int) -> int:
    """Index of the first token ending after ``char`` (binary search)."""
    lo, hi = 0, len(offsets) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if offsets[mid][1] <= char:
            lo = mid + 1
        else:
            hi = mid
    return lo


_shared: Optional[TransformerTier] = None
_full: Optional[TransformerTier] = None  # the same model without its screen, on request
_shared_lock = threading.Lock()
_warned = False  # once set, the runtime or model is known to be missing: never looked up again


def shared_tier(screen: bool = True) -> Optional[TransformerTier]:
    """The process-wide tier, or ``None`` when its runtime is not installed (logged once).

    ``screen=False``: the process-wide tier that reads every piece with the full model."""
    tier = _shared_screened()
    if tier is None or screen:
        return tier
    global _full
    if _full is None:
        with _shared_lock:
            if _full is None:
                _full = TransformerTier(path=tier._path, screen=False)
    return _full


def _shared_screened() -> Optional[TransformerTier]:
    global _shared, _warned
    if _shared is not None or _warned:
        return _shared
    with _shared_lock:
        if _shared is None:
            missing = (
                "its runtime: onnxruntime, tokenizers and numpy (the 'onnx' extra)"
                if not runtime_available()
                else "its model files (lockllm/engine/model/)"
                if not _model_shipped()
                else None
            )
            if missing is not None:
                if not _warned:
                    _warned = True
                    _log.warning(
                        "lockllm engine: the transformer tier is off, %s %s missing; "
                        "scanning with rules and linear models only",
                        missing,
                        "is" if "model" in missing else "are",
                    )
                return None
            _shared = TransformerTier()
    return _shared


def _model_shipped() -> bool:
    folder = resources.files(__package__).joinpath(_MODEL_DIR)
    return all(
        folder.joinpath(n).is_file() for n in ("model.onnx", "tokenizer.json", "config.json")
    )
