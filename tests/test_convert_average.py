"""The rank cut of `nichelm-convert average --rank`: the best approximation of B @ A, from the thin factors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gguf")

from nichelm.convert.lora_average import truncate


def _factors(seed: int, rows=30, cols=40, r=6):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(r, cols)).astype(np.float32), rng.normal(size=(rows, r)).astype(np.float32)


def test_full_rank_is_exact():
    a, b = _factors(1)
    a2, b2, kept = truncate(a, b, 6)
    assert a2.shape == (6, 40) and b2.shape == (30, 6) and kept == pytest.approx(1.0)
    assert np.allclose(b2 @ a2, b @ a, atol=1e-4)


def test_lower_rank_is_the_best_approximation():
    a, b = _factors(2)
    full = (b @ a).astype(np.float64)
    a3, b3, kept = truncate(a, b, 3)
    assert a3.shape == (3, 40) and b3.shape == (30, 3)
    u, s, vt = np.linalg.svd(full)
    best = (u[:, :3] * s[:3]) @ vt[:3]
    assert np.allclose(b3 @ a3, best, atol=1e-3)  # Eckart-Young: the truncated SVD, whatever the factors
    assert kept == pytest.approx((s[:3] ** 2).sum() / (s ** 2).sum(), rel=1e-6)
    err = np.linalg.norm(full - b3 @ a3) ** 2
    assert err == pytest.approx((1 - kept) * np.linalg.norm(full) ** 2, rel=1e-3)
    assert 0.0 < kept < 1.0
