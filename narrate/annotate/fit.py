"""Fitting the decoder's weights (decoder.py) from chains whose right speakers are known.

Used by `bench/fit_attribution.py`, never when annotating. The objective is the conditional log-likelihood of the
right speakers: for each chain, log of the total score of the assignments that give every quote with a known
right candidate one of them (quotes whose speaker is among no candidate are left free), minus log of the total
over all assignments; with an L2 penalty. Its gradient is the difference of the expected feature counts under
the two (forward-backward), followed by Adam. Then a logistic curve maps the posterior of each chosen speaker to
the probability that it is right (Platt scaling, with an intercept shift per evidence group), so that confidence
means what it says; bench/fit_attribution.py fits it on out-of-fold posteriors (decoded_quotes), and then the
second stage over the whole book (recalibrate.fit) on the confidences so calibrated.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from narrate.annotate import features
from narrate.annotate.decoder import (
    Chain,
    Weights,
    decode,
    forward_backward,
    group_of,
    viterbi,
)
from narrate.annotate.recalibrate import Recalibration

# A chain and, per quote, a mask of its right candidates (None: not a scored quote; all False: none is right).
Example = tuple[Chain, list]


def known_runs(data: list[Example]) -> list[Example]:
    """The chains cut into runs of quotes whose right speaker is among their candidates: a quote whose speaker
    is unknown or among no candidate would be a free variable, and the fit would learn to explain it by its
    neighbours (the same speaker again) instead of learning from the quotes it knows."""
    out = []
    for chain, masks in data:
        start = None
        for t in range(len(masks) + 1):
            known = t < len(masks) and masks[t] is not None and bool(masks[t].any())
            if known and start is None:
                start = t
            elif not known and start is not None:
                out.append((_cut(chain, start, t), masks[start:t]))
                start = None
    return out


def _cut(chain: Chain, start: int, end: int) -> Chain:
    transitions = [None] + chain.transitions[start + 1:end]
    seconds = ([None, None] + chain.seconds[start + 2:end])[:end - start]
    return Chain(chain.candidates[start:end], chain.emissions[start:end], transitions, seconds)


def split(w: np.ndarray, sizes: tuple[int, int, int]) -> Weights:
    a, b, _ = sizes
    return Weights(w[:a], w[a:a + b], w[a + b:])


def log_likelihood(w: np.ndarray, data: list[Example], sizes: tuple[int, int, int], l2: float):
    weights = split(w, sizes)
    a, b, _ = sizes
    ll, grad = 0.0, np.zeros_like(w)
    for chain, masks in data:
        masks = [m if m is not None and m.any() else None for m in masks]
        log_z_right, nodes_right, links_right, triples_right = forward_backward(chain, weights, masks)
        log_z, nodes, links, triples = forward_backward(chain, weights)
        ll += log_z_right - log_z
        for t in range(len(nodes)):
            grad[:a] += (nodes_right[t] - nodes[t]) @ chain.emissions[t]
            if t:
                grad[a:a + b] += np.einsum("ij,ijg->g", links_right[t] - links[t], chain.transitions[t])
            if t > 1:
                grad[a + b:] += np.einsum("hij,hijg->g", triples_right[t] - triples[t], chain.seconds[t])
    return ll - 0.5 * l2 * float(w @ w), grad - l2 * w


def fit_weights(data: list[Example], sizes: tuple[int, int, int], iterations: int = 150,
                rate: float = 0.1, l2: float = 0.5, log=None) -> Weights:
    """Adam ascent on the penalised log-likelihood, from zero weights."""
    data = known_runs(data)
    w = np.zeros(sum(sizes))
    m, v = np.zeros_like(w), np.zeros_like(w)
    for it in range(1, iterations + 1):
        ll, g = log_likelihood(w, data, sizes, l2)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w += rate * (m / (1 - 0.9 ** it)) / (np.sqrt(v / (1 - 0.999 ** it)) + 1e-8)
        if log is not None and it % 25 == 0:
            log(f"iteration {it}: log-likelihood {ll:.2f}")
    return split(w, sizes)


def chosen_posteriors(data: list[Example], weights: Weights) -> list[tuple[float, bool]]:
    """(posterior of the decoded speaker, whether it is right) for every scored quote."""
    out = []
    for chain, masks in data:
        best = viterbi(chain, weights)
        _, nodes, _, _ = forward_backward(chain, weights)
        for t, k in enumerate(best):
            if masks[t] is not None:
                out.append((float(nodes[t][k]), bool(masks[t][k])))
    return out


def decoded_quotes(data: list[Example], rules: list[list[tuple[int, str | None]]], weights: Weights,
                   margins) -> list[list[tuple[int, float, str, bool | None]]]:
    """Per chain, per quote: (the speaker chosen as annotation chooses it, its posterior, its evidence group,
    whether it is right or None when the quote is not scored): the rules' pick and strength per quote of each
    chain in `rules`, `margins(those)` how much surer than the rules' pick the decoder must be per quote
    (choose.margins)."""
    out = []
    for (chain, masks), ruled in zip(data, rules):
        prior = [c if s is not None else None for c, s in ruled]
        decided = []
        for t, d in enumerate(decode(chain, weights, None, prior, margins(ruled), ruled)):
            right = None if masks[t] is None else bool(masks[t][chain.candidates[t].index(d.speaker)])
            decided.append((d.speaker, d.posterior, group_of(d.speaker, ruled[t]), right))
        out.append(decided)
    return out


def fit_calibration(triples: list[tuple[float, bool, str]], l2: float = 1.0, min_count: int = 20,
                    iterations: int = 3000, rate: float = 0.1) -> tuple[tuple[float, float], dict[str, float]]:
    """A Platt curve with an intercept shift per evidence group: P(right) = sigmoid(a * logit(posterior) + b +
    shift[group]), by gradient ascent on the log-likelihood with an L2 penalty on the shifts (a group of few
    quotes stays near the common curve; one of fewer than `min_count` gets no shift)."""
    if not triples:
        return (1.0, 0.0), {}
    counts: dict[str, int] = {}
    for _, _, g in triples:
        counts[g] = counts.get(g, 0) + 1
    groups = sorted(g for g, n in counts.items() if n >= min_count)
    col = {g: i for i, g in enumerate(groups)}
    x = np.array([_logit(p) for p, _, _ in triples])
    y = np.array([float(ok) for _, ok, _ in triples])
    onehot = np.zeros((len(triples), len(groups)))
    for i, (_, _, g) in enumerate(triples):
        if g in col:
            onehot[i, col[g]] = 1.0
    a, b, shift = 1.0, 0.0, np.zeros(len(groups))
    n = len(triples)
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(a * x + b + onehot @ shift)))
        a += rate * float(np.mean((y - p) * x))
        b += rate * float(np.mean(y - p))
        shift += rate * ((y - p) @ onehot / n - l2 * shift / n)
    return (round(a, 4), round(b, 4)), {g: round(float(v), 4) for g, v in zip(groups, shift)}


def for_new_books(triples: list[tuple[float, bool, str]], platt: tuple[float, float], shift: dict[str, float],
                  accuracy: float, exempt: tuple[str, ...] = ("tag-name",)) -> dict[str, float]:
    """The shifts moved, for every group but `exempt`, by one amount that makes the mean confidence of those
    groups' quotes in `triples` `accuracy`. The rules were written reading the tuning works, so there they are
    right more often than on a book they never saw, and cross-fitting the weights cannot show it: the posteriors
    of the quotes no tag names the speaker of are calibrated to the accuracy such quotes have on new books."""
    others = [(p, g) for p, _, g in triples if g not in exempt]
    if not others or not 0 < accuracy < 1:
        return dict(shift)
    groups = {g for _, g in others} | (set(shift) - set(exempt))

    def mean(delta: float) -> float:
        moved = {g: shift.get(g, 0.0) + delta for g in groups}
        w = Weights(np.zeros(0), np.zeros(0), np.zeros(0), platt, moved)
        return sum(w.calibrate(p, g) for p, g in others) / len(others)

    low, high = -10.0, 10.0
    for _ in range(60):  # the mean confidence grows with the shift: bisect
        middle = (low + high) / 2
        low, high = (middle, high) if mean(middle) < accuracy else (low, middle)
    delta = (low + high) / 2
    return {**shift, **{g: round(shift.get(g, 0.0) + delta, 4) for g in groups}}


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def fit_platt(pairs: list[tuple[float, bool]], iterations: int = 2000, rate: float = 0.05) -> tuple[float, float]:
    """(a, b) of P(right) = sigmoid(a * logit(posterior) + b), by gradient ascent on the log-likelihood."""
    if not pairs:
        return 1.0, 0.0
    x = np.array([math.log(min(max(p, 1e-4), 1 - 1e-4) / (1 - min(max(p, 1e-4), 1 - 1e-4))) for p, _ in pairs])
    y = np.array([float(ok) for _, ok in pairs])
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(a * x + b)))
        a += rate * float(np.mean((y - p) * x))
        b += rate * float(np.mean(y - p))
    return round(a, 4), round(b, 4)


def save(weights: Weights, path: Path, platt: tuple[float, float], about: str,
         shift: dict[str, float] | None = None, recalibration: Recalibration | None = None) -> None:
    """The weights by feature name, as decoder.Weights.load reads them."""
    data = {
        "about": about,
        "emission": {n: round(float(x), 4) for n, x in zip(features.EMISSION, weights.emission)},
        "transition": {n: round(float(x), 4) for n, x in zip(features.TRANSITION, weights.transition)},
        "second": {n: round(float(x), 4) for n, x in zip(features.SECOND, weights.second)},
        "platt": list(platt),
        "shift": dict(sorted((shift or {}).items())),
    }
    if recalibration is not None and recalibration.weights:
        data["recalibrate"] = recalibration.as_data()
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
