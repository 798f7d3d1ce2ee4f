"""The Q&A read as exchanges (archive/exchanges.py) and the match-strength scale (archive/strength.py)."""
from __future__ import annotations

import pytest

from archive.exchanges import answers_of, contents, questions_of
from archive.strength import FLOOR, STRONG, QueryWords, label, match_of, scaled
from index.query import parse


def turns(*spec):
    """spec: (role, section, speaker) per turn, in order."""
    return [{"position": i, "role": r, "section": s, "speaker": who, "title": None} for i, (r, s, who) in enumerate(spec)]


CALL = turns(("operator", "prepared", "Op"), ("executive", "prepared", "CEO"), ("operator", "qa", "Op"),
             ("executive", "qa", "CFO"),                                    # before any question: answers nothing
             ("analyst", "qa", "Ann"), ("executive", "qa", "CEO"), ("executive", "qa", "CFO"),
             ("analyst", "qa", "Ann"), ("unknown", "qa", "?"), ("executive", "qa", "CEO"),   # a follow-up
             ("operator", "qa", "Op"), ("executive", "qa", "CEO"),          # after the hand-over, no question yet
             ("analyst", "qa", "Bob"), ("executive", "qa", "CFO"))


def test_each_answer_knows_the_nearest_question_of_its_exchange():
    assert questions_of(CALL) == {5: 4, 6: 4, 9: 7, 13: 12}
    assert answers_of(CALL) == {4: [5, 6], 7: [9], 12: [13]}


def test_prepared_remarks_answer_nothing():
    assert questions_of(turns(("analyst", "prepared", "A"), ("executive", "prepared", "B"))) == {}


def test_contents_lists_the_prepared_remarks_and_each_analysts_exchange():
    toc = contents(CALL)
    assert [(e["kind"], e["label"], e["position"]) for e in toc] == [
        ("prepared", "Prepared remarks", 0), ("qa", "Q&A", 2), ("exchange", "Ann", 4), ("exchange", "Bob", 12)]
    assert sum(e["turns"] for e in toc) == len(CALL)


def test_the_scale_puts_the_calibrated_points_at_the_floor_and_strong():
    assert scaled(0.47, (0.47, 0.7)) == pytest.approx(FLOOR) and scaled(0.7, (0.47, 0.7)) == pytest.approx(STRONG)
    assert scaled(0.0, (0.47, 0.7)) == 0.0 and scaled(1.0, (0.47, 0.7)) == pytest.approx(1.0)
    xs = [i / 50 for i in range(51)]
    ys = [scaled(x, (0.6, 0.9)) for x in xs]
    assert ys == sorted(ys)                                   # monotonic
    assert [label(v) for v in (0.1, 0.5, 0.79, 0.8)] == ["weak", "partial", "partial", "strong"]


def test_a_hit_is_judged_by_the_stronger_of_its_words_and_its_meaning():
    pts = (0.47, 0.7)
    assert match_of(1.0, 0.0, pts) == pytest.approx(1.0)               # every word of the query: a match
    assert match_of(1.0, None, None) == pytest.approx(1.0)             # no query vector: words alone
    assert match_of(0.2, 0.9, pts) >= STRONG                           # close in meaning, few words
    assert match_of(0.0, 0.3, pts) < FLOOR and match_of(0.2, None, None) < FLOOR
    assert match_of(0.3, 0.4, pts) > match_of(0.0, 0.4, pts)           # words help meaning
    assert match_of(0.3, 0.9, None) < FLOOR                            # no calibrated scale: words only
    assert match_of(0.0, 0.9, pts, known=False) == 0.0                 # none of its words in the archive


def test_a_query_none_of_whose_words_the_archive_holds_is_known_to_be_unknown():
    terms = lambda text: [[w] for w in text.lower().split()]   # noqa: E731
    df = {"margin": 10}.get
    assert QueryWords.of(parse("qwertyzzyx flibbertigibbet"), terms, lambda t: df(t, 0), 100).known == 0.0
    assert QueryWords.of(parse("margin flibbertigibbet"), terms, lambda t: df(t, 0), 100).known > 0


def test_coverage_weighs_rare_words_more_and_counts_an_or_group_once():
    df = {"margin": 1000, "kiosk": 3, "gross": 900, "booth": 5}
    terms = lambda text: [[w] for w in text.lower().replace('"', "").split()]   # noqa: E731
    words = QueryWords.of(parse("gross margin kiosk"), terms, lambda t: df.get(t, 0), 10_000)
    assert words.coverage({"kiosk"}) > 0.5 > words.coverage({"gross", "margin"})
    assert words.coverage({"gross", "margin", "kiosk"}) == pytest.approx(1.0)
    either = QueryWords.of(parse("kiosk OR booth"), terms, lambda t: df.get(t, 0), 10_000)
    assert either.coverage({"kiosk"}) == pytest.approx(1.0) and either.coverage(set()) == 0.0
    assert 0.9 < either.coverage({"booth"}) < 1.0                      # an alternative counts its own weight
    phrase = QueryWords.of(parse('"gross margin" kiosk'), terms, lambda t: df.get(t, 0), 10_000)
    assert phrase.coverage({"gross"}) == 0.0                           # a phrase counts only whole
