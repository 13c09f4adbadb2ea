"""The conversation decoder (decoder.py), its fitting (fit.py) and the weights the package ships."""
from __future__ import annotations

import itertools
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from narrate.annotate import features
from narrate.annotate.choose import STRONG_MARGIN, margins
from narrate.annotate.decoder import (WEIGHTS_FILE, Chain, Weights, decode, forward_backward, group_of, pin_mask,
                                      viterbi)
from narrate.annotate.fit import chosen_posteriors, fit_calibration, fit_platt, fit_weights, for_new_books, known_runs

ROOT = Path(__file__).resolve().parents[1]


def random_chain(rng, sizes, n_e=3, n_t=2, n_s=2) -> Chain:
    chain = Chain()
    for t, k in enumerate(sizes):
        chain.candidates.append(list(range(k)))
        chain.emissions.append(rng.normal(size=(k, n_e)))
        chain.transitions.append(None if t == 0 else rng.normal(size=(sizes[t - 1], k, n_t)))
        chain.seconds.append(None if t < 2 else rng.normal(size=(sizes[t - 2], sizes[t - 1], k, n_s)))
    return chain


def path_score(chain: Chain, w: Weights, path) -> float:
    total = sum(chain.emissions[t][k] @ w.emission for t, k in enumerate(path))
    total += sum(chain.transitions[t][path[t - 1], path[t]] @ w.transition for t in range(1, len(path)))
    total += sum(chain.seconds[t][path[t - 2], path[t - 1], path[t]] @ w.second for t in range(2, len(path)))
    return float(total)


@pytest.mark.parametrize("sizes", [(3,), (2, 3), (3, 2, 4), (2, 3, 2, 3, 2)])
def test_viterbi_and_marginals_agree_with_enumerating_every_assignment(sizes):
    rng = np.random.default_rng(7)
    chain = random_chain(rng, sizes)
    w = Weights(rng.normal(size=3), rng.normal(size=2), rng.normal(size=2))
    paths = list(itertools.product(*(range(k) for k in sizes)))
    scores = np.array([path_score(chain, w, p) for p in paths])
    assert tuple(viterbi(chain, w)) == paths[int(np.argmax(scores))]
    log_z, nodes, links, triples = forward_backward(chain, w)
    assert log_z == pytest.approx(math.log(np.exp(scores).sum()))
    probs = np.exp(scores - log_z)
    for t, k in enumerate(sizes):
        expected = [sum(p for p, path in zip(probs, paths) if path[t] == j) for j in range(k)]
        assert nodes[t] == pytest.approx(expected)
    if len(sizes) > 2:
        pair = sum(p for p, path in zip(probs, paths) if path[1] == 1 and path[2] == 0)
        assert links[2][1, 0] == pytest.approx(pair)
        assert triples[2].sum() == pytest.approx(1.0)


def test_a_pin_holds_its_quote_and_moves_the_others_through_the_transitions():
    # two candidates per quote; the transition rewards a change of speaker; quote 1 is a toss-up
    chain = Chain()
    for t in range(3):
        chain.candidates.append([10, 20])
        chain.emissions.append(np.array([[1.0], [0.0]]) if t == 0 else np.zeros((2, 1)))
        chain.transitions.append(None if t == 0 else np.array([[[0.0], [1.0]], [[1.0], [0.0]]]))
        chain.seconds.append(None if t < 2 else np.zeros((2, 2, 2, 1)))
    w = Weights(np.array([1.0]), np.array([3.0]), np.array([0.0]))
    assert [d.speaker for d in decode(chain, w)] == [10, 20, 10]
    pinned = decode(chain, w, {0: 20})
    assert [d.speaker for d in pinned] == [20, 10, 20]
    assert pinned[0].pinned and pinned[0].confidence == 1.0 and not pinned[1].pinned
    assert pin_mask(chain, {1: 20})[1].tolist() == [False, True]


def test_a_first_pick_is_kept_unless_another_is_clearly_more_probable():
    chain = Chain([[1, 2]], [np.array([[0.0], [0.2]])], [None], [None])
    w = Weights(np.array([1.0]), np.zeros(0), np.zeros(0))
    assert decode(chain, w)[0].speaker == 2
    assert decode(chain, w, prior=[1], margin=0.2)[0].speaker == 1
    assert decode(chain, w, prior=[1], margin=0.0)[0].speaker == 2


def test_confidence_is_the_calibrated_posterior_and_unknown_is_never_sure():
    w = Weights(np.zeros(1), np.zeros(0), np.zeros(0), platt=(1.0, 0.0))
    assert w.calibrate(0.8) == pytest.approx(0.8)
    shrunk = Weights(np.zeros(1), np.zeros(0), np.zeros(0), platt=(0.5, -0.5))
    assert shrunk.calibrate(0.9) < 0.9 and shrunk.calibrate(0.6) < shrunk.calibrate(0.9)
    chain = Chain([[-2]], [np.zeros((1, 1))], [None], [None])  # only "unknown"
    assert decode(chain, w)[0].confidence == 0.0


def test_weights_are_read_by_feature_name(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"emission": {"b": 2.0, "a": 1.0}, "transition": {}, "second": {"s": 3.0},
                                "platt": [0.5, 0.1]}))
    w = Weights.load(path, (("a", "b", "new"), ("t",), ("s",)))
    assert w.emission.tolist() == [1.0, 2.0, 0.0] and w.transition.tolist() == [0.0] and w.platt == (0.5, 0.1)


def synthetic_data(rng, n=60):
    """Chains whose right candidate is the one with feature 0 set (most of the time)."""
    data = []
    for _ in range(n):
        chain, masks = Chain(), []
        for t in range(4):
            right = int(rng.integers(3))
            emissions = np.zeros((3, 2))
            marked = right if rng.random() < 0.8 else (right + 1) % 3
            emissions[marked, 0] = 1
            emissions[:, 1] = rng.random(3)  # noise
            chain.candidates.append([0, 1, 2])
            chain.emissions.append(emissions)
            chain.transitions.append(None if t == 0 else np.zeros((3, 3, 1)))
            chain.seconds.append(None if t < 2 else np.zeros((3, 3, 3, 1)))
            masks.append(np.arange(3) == right)
        data.append((chain, masks))
    return data


def test_fitting_learns_the_feature_that_marks_the_right_speaker_and_a_calibration():
    data = synthetic_data(np.random.default_rng(3))
    weights = fit_weights(data, (2, 1, 1), iterations=120)
    assert weights.emission[0] > 1.0 and abs(weights.emission[1]) < weights.emission[0] / 2
    pairs = chosen_posteriors(data, weights)
    a, b = fit_platt(pairs)
    calibrated = Weights(weights.emission, weights.transition, weights.second, (a, b))
    mean_confidence = np.mean([calibrated.calibrate(p) for p, _ in pairs])
    assert mean_confidence == pytest.approx(np.mean([ok for _, ok in pairs]), abs=0.05)


def test_quotes_whose_speaker_is_among_no_candidate_are_cut_out_of_the_chains_fitted():
    chain = random_chain(np.random.default_rng(1), (2, 2, 2, 2, 2))
    masks = [np.array([True, False]), np.array([False, False]), None, np.array([False, True]), np.array([True, False])]
    runs = known_runs([(chain, masks)])
    assert [len(run.candidates) for run, _ in runs] == [1, 2]
    run, _ = runs[1]
    assert run.transitions[0] is None and run.seconds == [None, None]


def test_the_shipped_weights_know_every_feature_and_keep_litbanks_notice_beside_them():
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert set(data["emission"]) == set(features.EMISSION)
    assert set(data["transition"]) == set(features.TRANSITION) and set(data["second"]) == set(features.SECOND)
    assert len(data["platt"]) == 2 and data["emission"]["rule:tag-name"] > 0
    notice = WEIGHTS_FILE.with_name("LICENSE-NOTICE.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice or "Creative Commons Attribution 4.0" in notice
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"weights.json", "LICENSE-NOTICE.md"} <= set(package_data["narrate.annotate"])


def test_each_evidence_group_shifts_the_calibration_and_is_read_from_the_weights_file(tmp_path):
    w = Weights(np.zeros(1), np.zeros(0), np.zeros(0), platt=(1.0, 0.0), shift={"tag-name": 1.0, "focus": -1.0})
    assert w.calibrate(0.7, "tag-name") > w.calibrate(0.7) > w.calibrate(0.7, "focus")
    assert w.calibrate(0.7, "never-fitted") == pytest.approx(0.7)
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"emission": {}, "transition": {}, "second": {}, "platt": [1, 0],
                                "shift": {"focus": -0.5}}))
    assert Weights.load(path, ((), (), ())).shift == {"focus": -0.5}


def test_a_quote_is_calibrated_in_the_coarse_group_of_the_rules_strength_only_when_their_pick_stands():
    assert group_of(7, (7, "tag-name")) == "tag-name"
    assert group_of(7, (7, "tag-pronoun")) == group_of(7, (7, "tag-phrase")) == "tag"
    assert group_of(7, (7, "action")) == group_of(7, (7, "same-paragraph")) == "beat"
    assert group_of(7, (7, "focus")) == group_of(7, (7, "turn-taking")) == "turns"
    assert group_of(8, (7, "tag-name")) == "turns"  # the decoder overruled a tag: as sure as the turns
    assert group_of(8, (-2, None)) == "turns"
    chain = Chain([[1, 2]], [np.array([[0.0], [1.0]])], [None], [None])
    w = Weights(np.array([1.0]), np.zeros(0), np.zeros(0), shift={"beat": -2.0, "turns": 2.0})
    kept, = decode(chain, w, prior=[1], margin=1.0, ruled=[(1, "action")])
    switched, = decode(chain, w, prior=[1], margin=0.0, ruled=[(1, "action")])
    assert kept.speaker == 1 and kept.confidence == pytest.approx(w.calibrate(kept.posterior, "beat"))
    assert switched.speaker == 2 and switched.confidence == pytest.approx(w.calibrate(switched.posterior, "turns"))


def test_the_decoder_decides_where_the_rules_are_weak_and_a_tag_stands():
    assert margins([(1, "turn-taking"), (1, "focus"), (1, None), (1, "tag-name"), (1, "action")]) == \
        [0.0, 0.0, 0.0, STRONG_MARGIN, STRONG_MARGIN]
    chain = Chain([[1, 2], [1, 2]], [np.array([[0.0], [3.0]])] * 2, [None, np.zeros((2, 2, 1))], [None, None])
    w = Weights(np.array([1.0]), np.zeros(1), np.zeros(0))
    rules = [(1, "tag-name"), (1, "turn-taking")]
    picked = decode(chain, w, prior=[1, 1], margin=margins(rules), ruled=rules)
    assert [d.speaker for d in picked] == [1, 2]


def test_the_calibration_learns_a_group_that_is_less_often_right_than_its_posteriors_say():
    rng = np.random.default_rng(5)
    triples = [(0.8, bool(rng.random() < 0.8), "tag") for _ in range(300)]
    triples += [(0.8, bool(rng.random() < 0.5), "guess") for _ in range(300)]
    platt, shift = fit_calibration(triples)
    w = Weights(np.zeros(1), np.zeros(0), np.zeros(0), platt=platt, shift=shift)
    assert w.calibrate(0.8, "tag") == pytest.approx(0.8, abs=0.06)
    assert w.calibrate(0.8, "guess") == pytest.approx(0.5, abs=0.06)


def test_the_confidence_of_quotes_no_tag_names_the_speaker_of_is_moved_to_what_a_new_book_gives():
    triples = [(0.9, True, "turns"), (0.8, True, "turns"), (0.7, False, "beat"), (0.95, True, "tag-name")]
    platt, shift = (1.0, 0.0), {"turns": 0.5, "tag-name": 2.0}
    moved = for_new_books(triples, platt, shift, 0.6)
    w = Weights(np.zeros(0), np.zeros(0), np.zeros(0), platt, moved)
    mean = sum(w.calibrate(p, g) for p, _, g in triples if g != "tag-name") / 3
    assert mean == pytest.approx(0.6, abs=1e-3) and moved["tag-name"] == 2.0  # a tag naming the speaker keeps its own
    assert moved["turns"] - 0.5 == pytest.approx(moved["beat"], abs=1e-3)  # one amount for every group moved
    assert for_new_books(triples, platt, shift, 0.0) == shift  # 0: as fitted on the tuning works
