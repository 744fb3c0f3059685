"""Column-wise rows of the demo generator: a table is a dict of equally long numpy arrays
(object arrays hold strings / None), and times are epoch seconds (UTC) with ``NULL_T`` for
"no timestamp". Helpers to build, draw and concatenate such columns."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1)
NULL_T = -1  # "no timestamp" in the epoch-second arrays


def objects(values) -> np.ndarray:
    """An object array (strings / None) of ``values``."""
    return np.array(values, dtype=object)


def choice(rng, values, probs, size):
    p = np.asarray(probs, dtype=float)
    return rng.choice(np.asarray(values, dtype=object), size=size, p=p / p.sum())


def lognormal(rng, mean, sigma, size):
    mu = np.log(mean) - sigma**2 / 2
    return rng.lognormal(mu, sigma, size)


def concat_columns(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if p and len(next(iter(p.values())))]
    if not parts:
        return {}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def filled(n, value):
    return np.full(n, value, dtype=object)
