"""The local embedding model and its Chroma registration."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ingest.embeddings import (
    EMBEDDING_NAME,
    EmbeddingModelError,
    MiniLMEmbedder,
    ModelFiles,
    locate_model_files,
    make_chroma_embedding_function,
)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder(batch_size=2)


def test_vectors_are_normalised_and_in_the_callers_order(embedder):
    texts = ["Book flights two weeks ahead.", "a", "Reset a password through the IT portal " * 5]
    together = embedder.embed(texts)
    assert together.shape == (3, 384) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, rtol=1e-5)
    for i, text in enumerate(texts):
        np.testing.assert_allclose(embedder.embed([text])[0], together[i], atol=1e-4)


def test_similar_meanings_are_closer(embedder):
    query, near, far = embedder.embed([
        "how do I reserve a plane ticket",
        "Book flights through the travel desk.",
        "Laptops are returned on the last day.",
    ])
    assert query @ near > query @ far + 0.2


def test_wrong_or_missing_model_file_names_the_file_and_the_fix(tmp_path):
    real = locate_model_files()
    fake = tmp_path / "tokenizer.json"
    shutil.copy(real.tokenizer, fake)
    with fake.open("a") as fh:
        fh.write(" ")
    with pytest.raises(EmbeddingModelError, match=rf"{fake}.*expected .*make install"):
        MiniLMEmbedder(ModelFiles(model=real.model, tokenizer=fake))
    with pytest.raises(EmbeddingModelError, match="cannot be read.*make install"):
        MiniLMEmbedder(ModelFiles(model=tmp_path / "absent.onnx", tokenizer=real.tokenizer))


def test_chroma_function_is_registered_and_rebuilds_from_its_config():
    from chromadb.utils.embedding_functions import known_embedding_functions

    ef = make_chroma_embedding_function(batch_size=4)
    assert known_embedding_functions[EMBEDDING_NAME] is type(ef)
    assert not ef.loaded
    assert not ef.is_legacy() and ef.default_space() == "cosine"
    rebuilt = type(ef).build_from_config(ef.get_config())
    assert rebuilt.name() == EMBEDDING_NAME
    with pytest.raises(ValueError, match="rebuild it with `sopdraft ingest --full`"):
        type(ef).build_from_config({"model_sha256": "0" * 64})
    assert len(ef(["hello"])[0]) == 384
