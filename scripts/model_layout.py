"""Lay out the transformer tier's files: one word-embedding table shared by the model and
its screen.

    python scripts/model_layout.py split MODEL_DIR
    python scripts/model_layout.py add-screen MODEL_DIR SCREEN_DIR --threshold T

``split`` takes the 8-bit word-embedding table out of ``MODEL_DIR/model.onnx`` into
``embeddings.npz`` (the table, its scale and zero point): the graph then reads the words'
vectors from an input, ``word_vectors``, which the runtime looks up in that table. The
lookup is the same integer subtraction and float multiplication as the graph's own
``DequantizeLinear``, so the model's outputs do not change (checked on random windows
before the file is replaced).

``add-screen`` does the same to a smaller student (``scripts/train_model.py --layers 0,1
--teacher MODEL_DIR``), checks that its table is byte for byte the model's (both keep the
base model's frozen word embeddings), and writes it as ``MODEL_DIR/screen.onnx`` with its
provenance and threshold in ``config.json``. Two models then cost one table (11.7 MB)
instead of two. ``scripts/train_model.py`` calls ``split`` after every export.

Needs onnx, onnxruntime and numpy (the ``train`` extra).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any, Dict, Sequence, Tuple

import numpy as np

WORD_TABLE = "word_embeddings.weight_quantized"
VECTORS_INPUT = "word_vectors"


def _take_table(model: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remove the word-embedding Gather and DequantizeLinear from ``model`` (in place),
    feed their consumers from a new ``word_vectors`` input; return table, scale, zero."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    gather = next(
        n for n in graph.node if n.op_type == "Gather" and n.input[0].endswith(WORD_TABLE)
    )
    dequant = next(
        n for n in graph.node if n.op_type == "DequantizeLinear" and n.input[0] == gather.output[0]
    )
    table = numpy_helper.to_array(inits[gather.input[0]])
    scale = numpy_helper.to_array(inits[dequant.input[1]])
    zero = numpy_helper.to_array(inits[dequant.input[2]])
    if table.dtype not in (np.int8, np.uint8) or scale.shape != () or zero.shape != ():
        raise SystemExit("expected a per-tensor 8-bit word-embedding table")
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name == dequant.output[0]:
                node.input[k] = VECTORS_INPUT
    graph.node.remove(gather)
    graph.node.remove(dequant)
    for name in (gather.input[0], dequant.input[1], dequant.input[2]):
        graph.initializer.remove(inits[name])
    graph.input.append(
        helper.make_tensor_value_info(
            VECTORS_INPUT, onnx.TensorProto.FLOAT, ["batch", "sequence", table.shape[1]]
        )
    )
    return table, scale, zero


def lookup(table: np.ndarray, scale: np.ndarray, zero: np.ndarray, ids: np.ndarray) -> Any:
    """The words' vectors, computed as ``DequantizeLinear`` computes them."""
    return (table[ids].astype(np.int32) - np.int32(zero)).astype(np.float32) * np.float32(scale)


def _outputs(model_bytes: bytes, feeds: Dict[str, Any]) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    return session.run(None, {k: v for k, v in feeds.items() if k in names})[0]


def _split(path: Path) -> Tuple[bytes, Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The graph of ``path`` without its table, checked against the original."""
    import onnx

    before = path.read_bytes()
    model = onnx.load_from_string(before)
    table, scale, zero = _take_table(model)
    after = model.SerializeToString()
    rng = np.random.RandomState(0)
    for length in (3, 40, 128):
        ids = rng.randint(0, table.shape[0], size=(1, length)).astype(np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        want = _outputs(before, feeds)
        got = _outputs(after, {**feeds, VECTORS_INPUT: lookup(table, scale, zero, ids)})
        if not np.array_equal(want, got):
            raise SystemExit(f"{path}: the split graph reads differently ({want} vs {got})")
    return after, (table, scale, zero)


def split(folder: Path) -> None:
    """Move ``folder/model.onnx``'s word table into ``folder/embeddings.npz``."""
    graph, (table, scale, zero) = _split(folder / "model.onnx")
    buffer = io.BytesIO()
    np.savez(buffer, table=table, scale=scale, zero_point=zero)
    (folder / "embeddings.npz").write_bytes(buffer.getvalue())
    (folder / "model.onnx").write_bytes(graph)
    config_path = folder / "config.json"
    if config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        # the whole graph's hash too: a screen trained against it names it as its teacher
        config.setdefault("model_sha256_before_split", config.get("model_sha256"))
        config["model_sha256"] = hashlib.sha256(graph).hexdigest()
        config["embeddings_sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
        config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(
        f"{folder}: model.onnx {len(graph) / 1e6:.1f} MB, embeddings.npz "
        f"{len(buffer.getvalue()) / 1e6:.1f} MB",
        file=sys.stderr,
    )


def add_screen(folder: Path, screen: Path, threshold: float) -> None:
    """Write ``screen/model.onnx`` as ``folder/screen.onnx``, sharing ``folder``'s table."""
    with np.load(folder / "embeddings.npz") as shared:
        mine = (shared["table"], shared["scale"], shared["zero_point"])
    if (screen / "embeddings.npz").is_file():  # already split (train_model.py splits)
        graph = (screen / "model.onnx").read_bytes()
        with np.load(screen / "embeddings.npz") as own:
            theirs = (own["table"], own["scale"], own["zero_point"])
    else:
        graph, theirs = _split(screen / "model.onnx")
    if not all(np.array_equal(a, b) for a, b in zip(mine, theirs)):
        raise SystemExit("the screen's word table differs from the model's: not shareable")
    (folder / "screen.onnx").write_bytes(graph)
    trained = json.loads((screen / "config.json").read_text(encoding="utf-8"))
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["screen"] = {
        "threshold": threshold,
        "base_layers_kept": trained["base_layers_kept"],
        "ffn_width": trained.get("ffn_width", 1536),
        "teacher_model_sha256": trained["teacher_model_sha256"],
        "distill_weight": trained["distill_weight"],
        "training_data_sha256": trained["training_data_sha256"],
        "epochs": trained["epochs"],
        "learning_rate": trained["learning_rate"],
        "seed": trained["seed"],
        "training_minutes": trained["training_minutes"],
        "model_sha256": hashlib.sha256(graph).hexdigest(),
    }
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    print(
        f"{folder}: screen.onnx {len(graph) / 1e6:.1f} MB, threshold {threshold}", file=sys.stderr
    )


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("split", help="move model.onnx's word table into embeddings.npz")
    one.add_argument("model", type=Path)
    two = sub.add_parser("add-screen", help="add a student as the model's screen")
    two.add_argument("model", type=Path)
    two.add_argument("screen", type=Path)
    two.add_argument("--threshold", type=float, required=True)
    args = parser.parse_args(argv)
    if args.command == "split":
        split(args.model)
    else:
        add_screen(args.model, args.screen, args.threshold)


if __name__ == "__main__":
    main(sys.argv[1:])
