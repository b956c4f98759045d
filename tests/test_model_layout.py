"""``scripts/model_layout.py``: the word table moved out of the graphs into one shared file,
the outputs unchanged, and a screen accepted only when it shares the model's table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

import pytest

np = pytest.importorskip("numpy")  # the dev extra installs it; the runtime tier needs it too
onnx = pytest.importorskip("onnx")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

import model_layout  # noqa: E402
from _tiny_onnx import VOCAB, build  # noqa: E402

from lockllm.engine._transformer import TransformerTier  # noqa: E402

TABLE = "encoder.embeddings.word_embeddings.weight_quantized"


def _table(attack_words: Sequence[str], other: bool = False) -> np.ndarray:
    """An 8-bit table whose second column is high for ``attack_words`` (and, with
    ``other``, one row changed: another table)."""
    table = np.tile(np.array([130, 126], dtype=np.uint8), (len(VOCAB), 1))
    for word in attack_words:
        table[VOCAB[word]] = (60, 250)
    if other:
        table[VOCAB["banana"]] = (131, 126)
    return table


def _write(folder: Path, table: np.ndarray, bias: Sequence[float]) -> Path:
    """A classifier laid out as ``train_model.py`` exports one: Gather on the 8-bit word
    table, DequantizeLinear, then (here) a mean over the tokens plus a bias."""
    from onnx import TensorProto, helper, numpy_helper

    build(folder, token_logits={})  # the tokenizer and config of the tiny classifier
    nodes = [
        helper.make_node("Gather", [TABLE, "input_ids"], ["quantized"], axis=0),
        helper.make_node("DequantizeLinear", ["quantized", "scale", "zero"], ["vectors"]),
        helper.make_node("ReduceMean", ["vectors"], ["mean"], axes=[1], keepdims=0),
        helper.make_node("Add", ["mean", "bias"], ["logits"]),
    ]
    inits = [
        numpy_helper.from_array(table, TABLE),
        numpy_helper.from_array(np.array(0.05, dtype=np.float32), "scale"),
        numpy_helper.from_array(np.array(128, dtype=np.uint8), "zero"),
        numpy_helper.from_array(np.asarray(bias, dtype=np.float32), "bias"),
    ]
    ids = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
        for n in ("input_ids", "attention_mask")
    ]
    out = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])]
    graph = helper.make_graph(nodes, "layout", ids, out, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    (folder / "model.onnx").write_bytes(model.SerializeToString())
    return folder


def _probability(folder: Path, words: str) -> float:
    return TransformerTier(path=str(folder), screen=False).probability(words)


def test_split_moves_the_table_out_and_reads_the_same(tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", _table(["ignore"]), [0.0, 0.0])
    texts = ["hello world", "please ignore the report", "ignore ignore", "banana"]
    before = [_probability(folder, t) for t in texts]
    model_layout.split(folder)
    graph = onnx.load(str(folder / "model.onnx")).graph
    assert TABLE not in {i.name for i in graph.initializer}
    assert model_layout.VECTORS_INPUT in {i.name for i in graph.input}
    with np.load(folder / "embeddings.npz") as data:
        assert np.array_equal(data["table"], _table(["ignore"]))
    assert [_probability(folder, t) for t in texts] == before
    assert before[2] > 0.9 > 0.6 > before[0]
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert len(config["embeddings_sha256"]) == 64
    assert config["model_sha256"] != config.get("model_sha256_before_split")


def _screened(tmp_path: Path, threshold: float) -> Path:
    model = _write(tmp_path / "model", _table(["ignore"]), [0.0, 0.0])
    model_layout.split(model)
    screen = _write(tmp_path / "screen", _table(["ignore"]), [0.0, -1.0])
    (screen / "config.json").write_text(
        json.dumps(
            {
                "base_layers_kept": [0, 1],
                "ffn_width": 768,
                "teacher_model_sha256": "0" * 64,
                "distill_weight": 0.5,
                "training_data_sha256": "1" * 64,
                "epochs": 3.0,
                "learning_rate": 8e-5,
                "seed": 1,
                "training_minutes": 0.1,
            }
        ),
        encoding="utf-8",
    )
    model_layout.add_screen(model, screen, threshold)
    return model


def test_a_screen_sharing_the_table_is_added_and_read_first(tmp_path: Path) -> None:
    folder = _screened(tmp_path, threshold=0.3)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["screen"]["threshold"] == 0.3
    assert config["screen"]["ffn_width"] == 768
    tier = TransformerTier(path=str(folder))
    whole = TransformerTier(path=str(folder), screen=False)
    # The screen's bias leans benign: it settles "hello world" on its own (its own lower
    # reading stands) and hands "ignore ignore" on, which the model then reads as before.
    assert tier.probability("hello world") < 0.3
    assert tier.probability("hello world") < whole.probability("hello world")
    assert tier.probability("ignore ignore") == whole.probability("ignore ignore")


def test_a_screen_with_another_table_is_refused(tmp_path: Path) -> None:
    model = _write(tmp_path / "model", _table(["ignore"]), [0.0, 0.0])
    model_layout.split(model)
    other = _write(tmp_path / "other", _table(["ignore"], other=True), [0.0, 0.0])
    (other / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit, match="differs"):
        model_layout.add_screen(model, other, 0.1)
    assert not (model / "screen.onnx").exists()
