"""A tiny ONNX sequence classifier and its tokenizer, built in the test run (no download).

The model looks up a logit vector per token, takes the mean over the attended tokens and
adds a bias: ``logits = bias + mean(table[input_ids])``. Its tokenizer is a WordLevel
vocabulary with a whitespace pre-tokenizer and ``[CLS] … [SEP]`` around each window,
saved as ``tokenizer.json`` next to ``model.onnx`` and ``config.json``, the layout of a
Hugging Face classifier exported to ONNX.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

WORDS = ["hello", "world", "please", "summarise", "report", "ignore", "xyzzy", "banana"]
SPECIALS = ["[UNK]", "[PAD]", "[CLS]", "[SEP]"]
VOCAB = {token: i for i, token in enumerate(SPECIALS + WORDS)}


def build(
    directory: Path,
    *,
    token_logits: Mapping[str, Sequence[float]],
    labels: Optional[Mapping[int, str]] = None,
    num_logits: int = 2,
    bias: Optional[Sequence[float]] = None,
    token_type_ids: bool = False,
    int32: bool = False,
    extra_input: Optional[str] = None,
    config: Optional[Dict[str, object]] = None,
) -> Path:
    """Write ``model.onnx``, ``tokenizer.json`` and ``config.json`` into ``directory``."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    directory.mkdir(parents=True, exist_ok=True)
    table = np.zeros((len(VOCAB), num_logits), dtype=np.float32)
    for token, row in token_logits.items():
        table[VOCAB[token]] = row
    index_type = TensorProto.INT32 if int32 else TensorProto.INT64
    inputs = [
        helper.make_tensor_value_info("input_ids", index_type, ["batch", "sequence"]),
        helper.make_tensor_value_info("attention_mask", index_type, ["batch", "sequence"]),
    ]
    if token_type_ids:
        inputs.append(
            helper.make_tensor_value_info("token_type_ids", index_type, ["batch", "sequence"])
        )
    if extra_input:
        inputs.append(helper.make_tensor_value_info(extra_input, index_type, ["batch"]))
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["embedded"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["embedded", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Div", ["summed", "count"], ["mean"]),
        helper.make_node("Add", ["mean", "bias"], ["logits"]),
    ]
    initializers = [
        numpy_helper.from_array(table, "table"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(
            np.array(bias if bias is not None else [0.0] * num_logits, dtype=np.float32), "bias"
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_classifier",
        inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", num_logits])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(directory / "model.onnx"))

    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])],
    )
    tokenizer.save(str(directory / "tokenizer.json"))

    if labels is None:
        labels = {0: "SAFE", 1: "INJECTION"} if num_logits == 2 else {0: "INJECTION"}
    body: Dict[str, object] = {"id2label": {str(k): v for k, v in labels.items()}}
    body.update(config or {})
    (directory / "config.json").write_text(json.dumps(body), encoding="utf-8")
    return directory
