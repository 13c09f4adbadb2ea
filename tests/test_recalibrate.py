"""The second stage of confidence (annotate/recalibrate.py): fitted from (features, right) rows, applied over the
whole decided book after every decoding (annotate, pins, the incremental re-decode), never changing a speaker."""
from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from narrate.annotate import annotate, annotation, recalibrate, redecode
from narrate.annotate.choose import decide, shipped_weights
from narrate.annotate.decoder import Weights
from narrate.annotate.overrides import Override
from narrate.annotate.recalibrate import FEATURES, Recalibration, book_features
from narrate.annotate.segments import book_segments, quote_style
from narrate.annotate.speakers import read_book
from narrate.ingest import load_book

# Our own: Tomas and Ilse talk in two chapters; Henrik, a carter, says one line.
HARBOUR = """The Harbour Wall

Chapter 1

"The tide is early," Tomas said.

"It always is in March," said Ilse.

"Then we wait."

"We never wait."

A carter stopped at the wall. "Is this the road to Wessel?" asked Henrik.

"It is," said Tomas.

Chapter 2

The boats came in at noon. Ilse counted them twice.

"Seven," Ilse said.

"There were eight this morning," said Tomas.

"Then one is late."

"Or lost."

"Do not say lost, Tomas."
"""


@pytest.fixture
def harbour(tmp_path):
    path = tmp_path / "harbour.txt"
    path.write_text(HARBOUR, encoding="utf-8")
    return load_book(path)


def test_fitting_a_confidence_that_already_means_what_it_says_keeps_it_and_learns_what_the_book_adds():
    rng = np.random.default_rng(5)
    confidence = rng.uniform(0.05, 0.95, 4000)
    lines = rng.integers(1, 40, 4000)
    rare = 1 / np.sqrt(1 + lines)
    # right as often as the confidence says, but less often for speakers of few lines
    right = (rng.random(4000) < 1 / (1 + np.exp(-(np.log(confidence / (1 - confidence)) - 4 * (rare - 0.3)))))
    x = np.column_stack([np.log(confidence / (1 - confidence)), rare])
    stage = recalibrate.fit(x, right.astype(float))
    assert stage.weights["confidence"] == pytest.approx(1.0, abs=0.15)
    assert stage.weights["rare-speaker"] == pytest.approx(-4.0, abs=1.0)
    plain = recalibrate.fit(x[:, :1].repeat(2, axis=1) * [1, 0], (rng.random(4000) < confidence).astype(float))
    assert plain.weights["confidence"] == pytest.approx(1.0, abs=0.15) and plain.intercept == pytest.approx(0, abs=0.15)


def test_a_quote_of_a_speaker_who_says_little_in_the_book_is_less_sure_than_one_of_a_busy_speaker():
    stage = Recalibration(0.5, {"confidence": 1.0, "rare-speaker": -3.0})
    lines = {1: 1, 2: 30}
    rare, busy = stage.confidences([(1, 0.8), (2, 0.8)], lines)
    assert rare < busy
    assert stage.confidences([(1, 0.8), (1, 0.9)], lines)[0] < stage.confidences([(1, 0.8), (1, 0.9)], lines)[1]
    features = book_features([(1, 0.5), (2, 0.5)], lines)
    assert features.shape == (2, len(FEATURES)) and features[0, 1] == pytest.approx(1 / math.sqrt(2))
    assert Recalibration().confidences([(1, 0.8)], lines) == [0.8]  # no second stage: as the decoder said


def test_the_stage_is_kept_in_weights_json_by_feature_name(tmp_path):
    stage = Recalibration(0.25, {"confidence": 0.9, "rare-speaker": -2.0})
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"emission": {}, "transition": {}, "second": {}, "recalibrate": stage.as_data()}))
    assert Weights.load(path, ((), (), ())).recalibration == stage
    assert Recalibration.from_data({"intercept": 3.0, "weights": {"not-a-feature": 1.0}}) == Recalibration()
    path.write_text(json.dumps({"emission": {}, "transition": {}, "second": {}}))
    assert Weights.load(path, ((), (), ())).recalibration == Recalibration()


def test_the_shipped_weights_have_a_second_stage_that_lowers_the_rare_speakers_quotes():
    stage = shipped_weights().recalibration
    assert set(stage.weights) == set(FEATURES) and stage.weights["rare-speaker"] < 0


def decided(book, weights, pins=None):
    book = replace(book, quote_style=quote_style(book))
    segments, _ = book_segments(book, book.quote_style, False)
    att = read_book(book, segments)
    att.restore()
    decide(att, pins or {}, weights)
    return att


def test_the_second_stage_changes_confidences_but_no_speaker_and_leaves_pins_and_nobody_alone(harbour):
    shipped = shipped_weights()
    first_only = replace(shipped, recalibration=Recalibration())
    with_stage = decided(harbour, shipped)
    without = decided(harbour, first_only)
    assert [u.speaker for u in with_stage.utterances] == [u.speaker for u in without.utterances]
    assert [u.evidence for u in with_stage.utterances] == [u.evidence for u in without.utterances]
    assert [u.confidence for u in with_stage.utterances] != [u.confidence for u in without.utterances]
    carter = next(k for k, u in enumerate(without.utterances) if without.index.name(u.speaker) == "Henrik")
    tomas = next(k for k, u in enumerate(without.utterances) if without.index.name(u.speaker) == "Tomas"
                 and abs(u.confidence - without.utterances[carter].confidence) < 0.05)
    # as sure as a Tomas quote after the first stage, less sure after the second: Henrik says one line
    assert with_stage.utterances[carter].confidence < with_stage.utterances[tomas].confidence
    pinned = decided(harbour, shipped, {carter: with_stage.utterances[tomas].speaker})
    assert pinned.utterances[carter].confidence == 1.0


def test_after_a_pin_the_stage_runs_again_over_every_quote_as_annotating_again_would(harbour):
    kept = annotation(harbour)
    said = [s for s in kept.script.segments if s.kind == "dialogue"]
    first = next(s for s in said if s.chapter == 1 and s.speaker == "Ilse")
    pins = [Override(speaker="Somebody Else", start=first.start, end=first.end)]
    again, changed = redecode(kept, pins)
    assert again.script == annotate(harbour, pins=pins)  # confidences included
    # Ilse lost a line: her quotes of the other chapter, whose conversation was not decoded again, are less sure
    later = [s.index for s in said if s.chapter == 2 and s.speaker == "Ilse"]
    assert later and not set(changed) & set(later)
    assert all(again.script.segments[i].confidence < kept.script.segments[i].confidence for i in later)
