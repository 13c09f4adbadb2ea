"""Who speaks, decided per conversation: a linear-chain model over the quotes of a chain (features.py builds the
chains), scored by fitted weights.

Each quote has a few candidate speakers, each with a feature vector (tags, presence, vocatives, style, ...); each
pair of consecutive quotes has transition features (the same speaker again in a new paragraph, the one just called
answering, ...). The score of one assignment of speakers to the chain is the sum of the weighted features; the
chosen assignment is the best one (Viterbi), and each quote's confidence is the posterior probability of its
speaker over all assignments (forward-backward), calibrated by a fitted logistic curve (and, once the whole
book is decoded, again with what the book tells: recalibrate.py). A solid tag therefore
fixes the quotes around it, and a later tag can undo an earlier guess.

Pins fix some quotes' speakers (overrides, an edited script, a reviewer): the chain is decoded again with those
quotes held, which is how one fix repairs the quotes around it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrate.annotate.recalibrate import Recalibration

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
UNKNOWN = -2  # the candidate "nobody we can name" (conversation.UNKNOWN_ID): its confidence is 0


@dataclass
class Chain:
    """The quotes of one conversation: per quote its candidates (character ids) and their features (K x F); per
    link between quotes t-1 and t the transition features (K_{t-1} x K_t x G); per quote t >= 2 the features of
    the speakers of t-2, t-1 and t together (K_{t-2} x K_{t-1} x K_t x H), such as A-B-A alternation."""

    candidates: list[list[int]] = field(default_factory=list)
    emissions: list[np.ndarray] = field(default_factory=list)
    transitions: list[np.ndarray | None] = field(default_factory=list)  # None for the first quote
    seconds: list[np.ndarray | None] = field(default_factory=list)  # None for the first two quotes


@dataclass(frozen=True)
class Weights:
    emission: np.ndarray
    transition: np.ndarray
    second: np.ndarray
    platt: tuple[float, float] = (1.0, 0.0)  # confidence = sigmoid(a * logit(posterior) + b + shift[group])
    # per evidence group (group_of: a tag naming the speaker, another tag, a beat, the turns): the shift of the
    # calibration's intercept for the quotes of that group
    shift: dict[str, float] = field(default_factory=dict)
    # the second stage, over the whole book once it is decoded (recalibrate.py; choose.decide applies it)
    recalibration: Recalibration = field(default_factory=Recalibration)

    @classmethod
    def load(cls, path: Path, names: tuple[tuple[str, ...], ...]) -> Weights:
        """The weights of the features `names` (emission, transition, second-order names), by name: a feature
        the file does not know weighs nothing."""
        data = json.loads(path.read_text(encoding="utf-8"))
        parts = [np.array([data[key].get(n, 0.0) for n in group], dtype=float)
                 for key, group in zip(("emission", "transition", "second"), names)]
        return cls(*parts, tuple(data.get("platt", (1.0, 0.0))), dict(data.get("shift", {})),
                   Recalibration.from_data(data.get("recalibrate")))

    def calibrate(self, posterior: float, group: str | None = None) -> float:
        p = min(max(posterior, 1e-6), 1 - 1e-6)
        a, b = self.platt
        return 1.0 / (1.0 + math.exp(-(a * math.log(p / (1 - p)) + b + self.shift.get(group or "", 0.0))))


# The evidence groups a confidence is calibrated in: a tag that names the speaker, another tag, an action beat,
# and the turns (turn-taking, the scene's focus, a fallback, the decoder overruling the rules). Four coarse groups
# rather than one per strength: with a shift per strength the calibration fitted on some tuning works was off by
# more on the others (nested by fold: ECE 0.028 against 0.015 with these four).
CALIBRATION_GROUP = {
    "tag-name": "tag-name", "self-named": "tag", "tag-pronoun": "tag", "tag-phrase": "tag",
    "same-paragraph": "beat", "action": "beat", "action-after": "beat",
}
TURNS = "turns"


def group_of(speaker: int, ruled: tuple[int, str | None] | None) -> str:
    """The evidence group a decided quote is calibrated in (CALIBRATION_GROUP): that of the rules' strength when
    their pick stands; the turns when the rules only followed the turns, had nobody, or the decoder overruled
    them."""
    if ruled is None or ruled[1] is None or speaker != ruled[0]:
        return TURNS
    return CALIBRATION_GROUP.get(ruled[1], TURNS)


def _scores(chain: Chain, weights: Weights, allowed: list[np.ndarray | None] | None):
    """Per quote: its candidates' scores (t = 0), else the scores of (speaker of t-1, speaker of t) pairs; and
    per quote t >= 2 the second-order scores."""
    emit = [e @ weights.emission for e in chain.emissions]
    if allowed is not None:
        emit = [s if a is None else np.where(a, s, -np.inf) for s, a in zip(emit, allowed)]
    pairs = [emit[0]] + [emit[t][None, :] + chain.transitions[t] @ weights.transition for t in range(1, len(emit))]
    seconds = [None if s is None else s @ weights.second for s in chain.seconds]
    return pairs, seconds


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def forward_backward(chain: Chain, weights: Weights, allowed: list[np.ndarray | None] | None = None,
                     edges: bool = True):
    """(log Z, node marginals per quote, pair marginals per link, triple marginals per quote t >= 2); without
    `edges`, the last two are not computed (None)."""
    pairs, seconds = _scores(chain, weights, allowed)
    n = len(pairs)
    alpha = [pairs[0]]
    for t in range(1, n):
        if t == 1:
            alpha.append(alpha[0][:, None] + pairs[1])
        else:
            alpha.append(pairs[t] + _logsumexp(alpha[t - 1][:, :, None] + seconds[t], axis=0))
    beta: list[np.ndarray] = [np.zeros_like(a) for a in alpha]
    for t in range(n - 2, 0, -1):
        beta[t] = _logsumexp(seconds[t + 1] + (pairs[t + 1] + beta[t + 1])[None, :, :], axis=2)
    if n > 1:
        beta[0] = _logsumexp(pairs[1] + beta[1], axis=1)
    log_z = float(_logsumexp(alpha[-1].reshape(-1), axis=0))
    joint = [np.exp(a + b - log_z) for a, b in zip(alpha, beta)]
    nodes = [joint[0]] + [j.sum(axis=0) for j in joint[1:]]
    if not edges:
        return log_z, nodes, None, None
    links: list[np.ndarray | None] = [None] + joint[1:]
    triples: list[np.ndarray | None] = [None, None]
    for t in range(2, n):
        triples.append(np.exp(alpha[t - 1][:, :, None] + seconds[t] + (pairs[t] + beta[t])[None, :, :] - log_z))
    return log_z, nodes, links, triples[:n]


def viterbi(chain: Chain, weights: Weights, allowed: list[np.ndarray | None] | None = None) -> list[int]:
    """The best candidate index per quote."""
    pairs, seconds = _scores(chain, weights, allowed)
    n = len(pairs)
    if n == 1:
        return [int(np.argmax(pairs[0]))]
    score = pairs[0][:, None] + pairs[1]
    back = []
    for t in range(2, n):
        total = score[:, :, None] + seconds[t]
        back.append(np.argmax(total, axis=0))
        score = pairs[t] + np.max(total, axis=0)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    best = [int(j), int(i)]
    for pointers in reversed(back):
        best.append(int(pointers[best[-1], best[-2]]))
    return best[::-1]


def pin_mask(chain: Chain, pins: dict[int, int]) -> list[np.ndarray | None]:
    """Quote index -> pinned character id, as the mask `allowed` takes (the candidate must be in the chain)."""
    return [None if t not in pins else np.array([c == pins[t] for c in cands])
            for t, cands in enumerate(chain.candidates)]


@dataclass
class Decision:
    speaker: int
    posterior: float
    confidence: float
    pinned: bool = False


def decode(chain: Chain, weights: Weights, pins: dict[int, int] | None = None,
           prior: list[int | None] | None = None, margin: float | list[float] = 0.0,
           ruled: list[tuple[int, str | None]] | None = None) -> list[Decision]:
    """Each quote's speaker (the best assignment given the pins) and its calibrated posterior. With `prior` (a
    first pick per quote, None for none), a quote keeps its first pick unless the best assignment's speaker is
    more probable than it by more than `margin` (one for all, or one per quote). `ruled` (the rules' pick and strength per quote) chooses the
    evidence group each confidence is calibrated in."""
    allowed = pin_mask(chain, pins) if pins else None
    best = viterbi(chain, weights, allowed)
    _, nodes, _, _ = forward_backward(chain, weights, allowed, edges=False)
    out = []
    for t, k in enumerate(best):
        pinned = bool(pins) and t in pins
        first = prior[t] if prior is not None and not pinned else None
        if first is not None and first in chain.candidates[t]:
            j = chain.candidates[t].index(first)
            if nodes[t][k] - nodes[t][j] <= (margin if isinstance(margin, float) else margin[t]):
                k = j
        posterior = float(nodes[t][k])
        speaker = chain.candidates[t][k]
        group = group_of(speaker, ruled[t] if ruled is not None else None)
        confidence = 1.0 if pinned else 0.0 if speaker == UNKNOWN else weights.calibrate(posterior, group)
        out.append(Decision(speaker, posterior, confidence, pinned))
    return out
