"""``OnnxClassifier``: a Hugging Face sequence classifier exported to ONNX, as a model.

It plugs into ``LocalScanner(model=...)`` through ``probability(text) -> float`` and is
combined with the rules like the shipped model. onnxruntime, tokenizers and numpy (the
``lockllm[onnx]`` extra) are imported by the constructor, never by ``import lockllm`` or
``import lockllm.engine``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import ConfigurationError, InvalidRequestError

__all__ = ["OnnxClassifier", "ATTACK_LABELS"]

_FILES = ("model.onnx", "tokenizer.json", "config.json")

# Words that name the attack class in ``id2label`` (matched per word of the label, so
# ``PROMPT_INJECTION`` counts and ``SAFE`` / ``BENIGN`` / ``NOT_INJECTION`` do not).
ATTACK_LABELS = frozenset(
    {"INJECTION", "JAILBREAK", "UNSAFE", "MALICIOUS", "ATTACK", "HARMFUL", "ADVERSARIAL"}
)
_NEGATIONS = frozenset({"NOT", "NON", "NO"})
_WORD = re.compile(r"[A-Za-z0-9]+")
_INPUT_TYPES = {"tensor(int64)": "int64", "tensor(int32)": "int32"}


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        from .._install import install_hint

        raise ConfigurationError(f"OnnxClassifier needs {name}: {install_hint('onnx')}") from None


def _is_attack_name(label: str) -> bool:
    words = {w.upper() for w in _WORD.findall(label.replace("_", " "))}
    return bool(words & ATTACK_LABELS) and not words & _NEGATIONS


def _read_labels(config_path: str) -> Dict[int, str]:
    try:
        with open(config_path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read {config_path}: {error}") from None
    raw = config.get("id2label") if isinstance(config, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise ConfigurationError(f"{config_path} has no id2label mapping")
    try:
        return {int(k): str(v) for k, v in raw.items()}
    except (TypeError, ValueError):
        raise ConfigurationError(f"{config_path}: id2label keys must be integers") from None


def _attack_index(labels: Dict[int, str], wanted: Union[str, int, None], num_logits: int) -> int:
    """Index of the attack class among the model's logits."""
    names = [labels.get(i, f"LABEL_{i}") for i in range(num_logits)]
    if num_logits == 1:
        if wanted not in (None, 0, names[0]):
            raise ConfigurationError(
                f"attack_label {wanted!r}: a single-logit model only has {names[0]!r}"
            )
        return 0
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        if not 0 <= wanted < num_logits:
            raise ConfigurationError(f"attack_label {wanted} is not one of 0..{num_logits - 1}")
        return wanted
    if isinstance(wanted, str):
        matches = [i for i, n in enumerate(names) if n.upper() == wanted.upper()]
        if not matches:
            raise ConfigurationError(f"attack_label {wanted!r} is not one of {names}")
        return matches[0]
    if wanted is not None:
        raise ConfigurationError(f"attack_label must be a label name or index, not {wanted!r}")
    found = [i for i, n in enumerate(names) if _is_attack_name(n)]
    if len(found) == 1:
        return found[0]
    if not found and names == ["LABEL_0", "LABEL_1"]:
        return 1
    raise ConfigurationError(
        f"cannot tell which of the labels {names} means attack: pass attack_label="
    )


def _positive_int(name: str, value: object, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return value


class OnnxClassifier:
    """A prompt-injection classifier in ONNX format, usable as ``LocalScanner(model=...)``.

    ``path`` is a directory holding ``model.onnx``, ``tokenizer.json`` and ``config.json``
    (with ``id2label``): the layout of a Hugging Face sequence classifier exported to ONNX,
    such as ``protectai/deberta-v3-base-prompt-injection-v2`` (labels ``SAFE`` /
    ``INJECTION``). The attack class is the label naming an injection, jailbreak, attack…,
    or ``LABEL_1`` of a two-label model; ``attack_label`` (a name or an index) overrides it.
    Two or more logits are turned into probabilities with a softmax, a single logit with a
    sigmoid.

    Inputs longer than ``max_length`` tokens (special tokens included) are read in windows
    that overlap by ``stride`` tokens (default: a quarter of ``max_length``, at most 64),
    and the probability is that of the most suspicious
    window; with ``windows=False`` only the first ``max_length`` tokens are read. Windows
    are run ``batch_size`` at a time. ``threads`` sets onnxruntime's intra-op threads
    (default: onnxruntime's choice). Instances are safe to share between threads.

    Raises ``ConfigurationError`` when the ``onnx`` extra is missing, a file is missing or
    unreadable, or the attack class cannot be named.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        attack_label: Union[str, int, None] = None,
        max_length: int = 512,
        stride: Optional[int] = None,
        windows: bool = True,
        batch_size: int = 16,
        threads: Optional[int] = None,
    ) -> None:
        self._path = os.fspath(path)
        self._max_length = _positive_int("max_length", max_length, 4)
        if stride is None:
            stride = min(64, self._max_length // 4)
        self._stride = _positive_int("stride", stride, 0)
        if windows and self._stride >= self._max_length // 2:
            raise ConfigurationError(
                f"stride must be below half of max_length ({self._max_length}), not {stride}"
            )
        self._batch_size = _positive_int("batch_size", batch_size)
        if threads is not None:
            _positive_int("threads", threads)
        if not os.path.isdir(self._path):
            raise ConfigurationError(f"OnnxClassifier: {self._path} is not a directory")
        for name in _FILES:
            if not os.path.isfile(os.path.join(self._path, name)):
                raise ConfigurationError(f"OnnxClassifier: {self._path} has no {name}")
        ort = _import("onnxruntime")
        self._np: Any = _import("numpy")
        tokenizers = _import("tokenizers")

        labels = _read_labels(os.path.join(self._path, "config.json"))
        try:
            self._tokenizer: Any = tokenizers.Tokenizer.from_file(
                os.path.join(self._path, "tokenizer.json")
            )
        except Exception as error:  # tokenizers raises a bare Exception on bad files
            raise ConfigurationError(f"cannot read tokenizer.json: {error}") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self._max_length, stride=self._stride if windows else 0)
        self._windows = windows
        self._pad_id = _pad_id(self._tokenizer)

        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            self._session: Any = ort.InferenceSession(
                os.path.join(self._path, "model.onnx"),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            )
        except Exception as error:  # onnxruntime's errors share no useful base class
            raise ConfigurationError(f"cannot load model.onnx: {_first_line(error)}") from None
        self._inputs = _model_inputs(self._session)
        num_logits = _num_logits(self._session, labels)
        self._attack = _attack_index(labels, attack_label, num_logits)
        self._sigmoid = num_logits == 1
        self.labels: Tuple[str, ...] = tuple(labels.get(i, f"LABEL_{i}") for i in range(num_logits))

    @property
    def attack_label(self) -> str:
        """The label whose probability is reported."""
        return self.labels[self._attack]

    @property
    def threads(self) -> int:
        """onnxruntime's intra-op thread setting (0: onnxruntime's default)."""
        return int(self._session.get_session_options().intra_op_num_threads)

    def __repr__(self) -> str:
        return f"OnnxClassifier({self._path!r}, attack_label={self.attack_label!r})"

    def probability(self, text: str) -> float:
        """Probability (0..1) that ``text`` is an attack: the highest over its windows."""
        return self.probabilities([text])[0]

    def probabilities(self, texts: Sequence[str]) -> List[float]:
        """``probability`` of each text, in order, with the windows of all of them batched."""
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise InvalidRequestError("texts must be a sequence of str")
        if not texts:
            return []
        owners: List[int] = []
        windows: List[Any] = []
        for index, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
            pieces = [encoding, *encoding.overflowing] if self._windows else [encoding]
            windows.extend(pieces)
            owners.extend([index] * len(pieces))
        best = [0.0] * len(texts)
        # Batches of windows of similar length waste the least work on padding.
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        for at in range(0, len(order), self._batch_size):
            chunk = order[at : at + self._batch_size]
            for i, p in zip(chunk, self._run([windows[i] for i in chunk])):
                if p > best[owners[i]]:
                    best[owners[i]] = p
        return best

    def _run(self, encodings: Sequence[Any]) -> List[float]:
        np = self._np
        width = max(len(e.ids) for e in encodings)
        feeds: Dict[str, Any] = {}
        for name, (kind, dtype) in self._inputs.items():
            array = np.zeros((len(encodings), width), dtype=dtype)
            if kind == "input_ids":
                array.fill(self._pad_id)
            for row, e in enumerate(encodings):
                values = e.ids if kind == "input_ids" else getattr(e, kind)
                array[row, : len(values)] = values
            feeds[name] = array
        logits = np.asarray(self._session.run(None, feeds)[0], dtype=np.float64)
        logits = logits.reshape(len(encodings), -1)
        if self._sigmoid:
            z = np.clip(logits[:, 0], -40.0, 40.0)
            probs = 1.0 / (1.0 + np.exp(-z))
        else:
            shifted = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            probs = exp[:, self._attack] / exp.sum(axis=1)
        return [float(p) if math.isfinite(p) else 0.0 for p in probs.tolist()]


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _pad_id(tokenizer: Any) -> int:
    for token in ("[PAD]", "<pad>", "<PAD>"):
        found = tokenizer.token_to_id(token)
        if found is not None:
            return int(found)
    return 0


_KINDS = {
    "input_ids": "input_ids",
    "attention_mask": "attention_mask",
    "token_type_ids": "type_ids",
}


def _model_inputs(session: Any) -> Dict[str, Tuple[str, str]]:
    """Input name -> (which encoding field feeds it, numpy dtype)."""
    found: Dict[str, Tuple[str, str]] = {}
    for spec in session.get_inputs():
        kind = _KINDS.get(spec.name)
        if kind is None:
            raise ConfigurationError(
                f"model.onnx wants an input {spec.name!r}; "
                "only input_ids, attention_mask and token_type_ids can be given"
            )
        dtype = _INPUT_TYPES.get(spec.type)
        if dtype is None:
            raise ConfigurationError(f"model.onnx input {spec.name!r} has type {spec.type}")
        found[spec.name] = (kind, dtype)
    if "input_ids" not in found:
        raise ConfigurationError("model.onnx has no input_ids input")
    return found


def _num_logits(session: Any, labels: Dict[int, str]) -> int:
    shape = session.get_outputs()[0].shape
    last = shape[-1] if shape else None
    if isinstance(last, int) and last > 0:
        return last
    return max(labels) + 1
