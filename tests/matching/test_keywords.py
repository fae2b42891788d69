"""The keyword source protocol: the in-memory index, and the arithmetic other sources share."""

from pathlib import Path

import numpy as np

from matching.documents import Doc
from matching.evaluation import load_docs
from matching.keywords import MemoryKeywords, keyword_tokens, sparse_scores
from matching.lexical import BM25Index, char_ngrams, default_analyzer
from matching.ranking import Matcher

EVAL = Path(__file__).resolve().parents[2] / "eval"


def _caps(limit: int = 120) -> list[Doc]:
    return load_docs(EVAL / "capabilities.jsonl", "capability")[:limit]


def test_sparse_scores_equal_the_index_to_the_last_bit() -> None:
    analyzer = default_analyzer()
    docs = _caps()
    index = BM25Index()
    tokens = {d.id: analyzer.tokens(d.lexical_text()) for d in docs}
    for doc in docs:
        index.add(doc.id, tokens[doc.id])
    index.remove(docs[3].id)  # a removed posting is in neither
    alive = [d.id for d in docs if d.id != docs[3].id]
    lengths = np.array([len(tokens[i]) for i in alive])
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for row, doc_id in enumerate(alive):
        for term in set(tokens[doc_id]):
            rows, tfs = postings.setdefault(term, (np.zeros(0, int), np.zeros(0)))
            postings[term] = (np.append(rows, row), np.append(tfs, tokens[doc_id].count(term)))
    query = analyzer.tokens(docs[0].lexical_text() + " 碳化硅 外延")
    total = int(lengths.sum())
    ours = sparse_scores(query, postings, lengths, len(alive), total)
    theirs = index.scores(query)[index.rows(alive)]
    assert ours.dtype == np.float32 and np.array_equal(ours, theirs)
    assert ours.max() > 0


def test_memory_keywords_top_and_scores() -> None:
    docs = _caps(60)
    analyzer = default_analyzer()
    kw = MemoryKeywords()
    pairs = [keyword_tokens(analyzer, d) for d in docs]
    kw.add([d.id for d in docs], [p[0] for p in pairs], [p[1] for p in pairs])
    words = analyzer.tokens(docs[5].lexical_text())
    word, chars = kw.search(words, char_ngrams(docs[5].char_text()), lambda _: True, 10)
    assert word.top[0] == docs[5].id and chars.top[0] == docs[5].id
    scores = word.scores(list(word.top))
    assert list(scores) == sorted(scores, reverse=True) and len(word.reference) == len(docs)
    assert docs[5].id in kw.holders(words[0])
    kw.remove([docs[5].id])
    word, _ = kw.search(words, [], lambda _: True, 10)
    assert docs[5].id not in word.top and len(word.reference) == len(docs) - 1
    common = max(set(words), key=lambda t: len(kw.holders(t)))
    assert kw.holders(common) and docs[5].id not in kw.holders(common)


def test_a_matcher_over_a_source_written_elsewhere_does_not_tokenise() -> None:
    """A source with ``writes_here`` False (the service's tables) is never written by add."""

    class Written(MemoryKeywords):
        writes_here = False

    source = Written()
    docs = _caps(5)
    m = Matcher(None, keywords=source)
    m.add(docs)
    assert len(m) == 5 and len(source) == 0
    pairs = [keyword_tokens(m.analyzer, d) for d in docs]
    MemoryKeywords.add(source, [d.id for d in docs], [p[0] for p in pairs], [p[1] for p in pairs])
    assert m.rank(docs[2].title, k=1)[0].id == docs[2].id
