"""The TensorFlow MiniLM encoder: unit vectors, bucketed graph equals eager, order kept."""

from __future__ import annotations

import numpy as np
import pytest

from text_encoder import bucket_for, get_encoder, model_dir


def test_weights_come_from_the_installed_package():
    assert (model_dir() / "model.safetensors").exists()


def test_buckets_cover_lengths_up_to_the_model_limit():
    assert bucket_for(5) == 16 and bucket_for(20) == 32 and bucket_for(70) == 96 and bucket_for(1000) == 256


def test_graph_encoding_matches_eager_and_keeps_order():
    enc = get_encoder()
    texts = ["waterproof jacket", "a much longer description of a warm fleece jacket " * 3, "socks"]
    graph = enc.encode(texts, batch_size=2)
    eager = enc.encode_eager(texts)
    assert graph.shape == (3, 384)
    assert np.allclose(graph, eager, atol=1e-4)
    assert np.allclose(np.linalg.norm(graph, axis=1), 1.0, atol=1e-5)
    assert np.allclose(enc.encode_one("socks"), graph[2], atol=1e-5)


def test_similar_texts_are_closer_than_unrelated_ones():
    enc = get_encoder()
    a, b, c = enc.encode(["rain jacket", "waterproof coat", "yoga block"])
    assert float(a @ b) > float(a @ c)


def test_encode_refuses_a_bare_string():
    with pytest.raises(TypeError):
        get_encoder().encode("oops")  # type: ignore[arg-type]
