"""The second stage of confidence: once the whole book is decoded, each quote's confidence is calibrated again
with what only the whole book tells.

The decoder's confidence (decoder.Weights.calibrate) knows one conversation. A speaker the decoder gives a
quote to who says little else in the book is wrong more often than the conversation alone shows (a place or a
description taken for a speaker, a chain's turn given to a passer-by), so such quotes come sooner in
`script --review` and the studio. A logistic curve over a few features (FEATURES), fitted by
bench/fit_attribution.py on the tuning works' out-of-fold confidences and kept in weights.json under
"recalibrate". Line counts change when a
pin moves quotes, so the stage runs again over every quote after each decoding (choose.decide): a cheap pass.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

# The features by name: the decoder's calibrated confidence (as a logit), and how rarely the chosen speaker speaks
# in the whole book as decoded: 1 / sqrt(1 + the speaker's quotes). Bounded, so that a novel a hundred times as
# long as the tuning works' excerpts gives its main characters what their busiest speakers get (log(1 + n) ranked
# as well on the tuning works, but grows without bound); whether the speaker is a description ("the old man")
# and how many quotes since the last tag did not help on the tuning works (cross-validated by whole works).
FEATURES = ("confidence", "rare-speaker")


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


def book_features(quotes: Sequence[tuple[int, float]], lines: Mapping[int, int]) -> np.ndarray:
    """The feature matrix (quotes x FEATURES) of decided quotes, each (speaker id, the decoder's calibrated
    confidence), `lines` the number of quotes each speaker says in the whole book as decided."""
    return np.array([[_logit(confidence), 1 / math.sqrt(1 + lines[speaker])] for speaker, confidence in quotes],
                    dtype=float).reshape(len(quotes), len(FEATURES))


@dataclass(frozen=True)
class Recalibration:
    """P(right) = sigmoid(intercept + sum of weight * feature); no weights at all: the confidence as it was."""

    intercept: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict | None) -> Recalibration:
        """As weights.json keeps it: {"intercept": b, "weights": {feature name: w}}. A feature it does not name
        weighs nothing; one FEATURES does not know is ignored, and with none known the stage does nothing."""
        weights = {n: float(w) for n, w in (data or {}).get("weights", {}).items() if n in FEATURES}
        return cls(float(data.get("intercept", 0.0)), weights) if weights else cls()

    def as_data(self) -> dict:
        return {"features": list(FEATURES), "intercept": round(self.intercept, 4),
                "weights": {n: round(self.weights.get(n, 0.0), 4) for n in FEATURES}}

    def confidences(self, quotes: Sequence[tuple[int, float]], lines: Mapping[int, int]) -> list[float]:
        """The quotes' confidences again, `lines` the number of quotes each speaker says in the whole book."""
        if not self.weights or not quotes:
            return [confidence for _, confidence in quotes]
        w = np.array([self.weights.get(n, 0.0) for n in FEATURES])
        z = book_features(quotes, lines) @ w + self.intercept
        return (1.0 / (1.0 + np.exp(-z))).tolist()


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> Recalibration:
    """The logistic curve of `y` (right or not) on the feature rows `x` (book_features' columns), by Newton's
    method on the log-likelihood with an L2 penalty on the weights (not the intercept)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        grad = design.T @ (y - p) - penalty * beta
        hess = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return Recalibration(float(beta[0]), {n: float(b) for n, b in zip(FEATURES, beta[1:])})
