"""bench/corpus.py, the scale corpus of issue 18: the citizens' shares have the shape the
issue asks for at every size, and result `i` is the same in every run."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus", BENCH / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n", [2_000, 30_000, 300_000])
def test_one_citizen_per_three_results_and_the_heaviest_holds_dozens(
    corpus: ModuleType, n: int
) -> None:
    c = corpus.Corpus(n)
    held = Counter(c.citizen_rank(i) for i in range(n))
    assert len(held) == n // 3  # every citizen holds at least one result
    counts = sorted(held.values(), reverse=True)
    assert 24 <= counts[0] <= 80  # dozens, not thousands, however large the corpus
    assert counts[len(counts) // 2] <= 2  # most hold one or two
    assert max(held[r] for r in range(c.citizens // 10, c.citizens)) <= 8  # "ordinary"
    assert held[0] == counts[0]  # rank 0 is the heaviest (`heaviest_citizen`)


def test_result_i_is_the_same_in_every_run(corpus: ModuleType) -> None:
    first, again = corpus.Corpus(5_000), corpus.Corpus(5_000)
    assert [first.metadata(i) for i in (0, 17, 4_999)] == [
        again.metadata(i) for i in (0, 17, 4_999)
    ]
    # A citizen's results are spread over the corpus, not dealt in a row.
    heaviest = [i for i in range(5_000) if first.citizen_rank(i) == 0]
    assert max(heaviest) - min(heaviest) > 2_500
