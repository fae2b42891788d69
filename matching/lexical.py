"""Chinese segmentation with technical terms and synonyms, plus an incremental BM25.

Text goes through one :class:`Analyzer`: rjieba with a user dictionary of
technical terms (compounds stay whole, their dictionary sub-words are added as
well), stop words dropped, every synonym or acronym mapped to one canonical
token.  The same analyzer runs at index and at query time, so "SiC" in a need
meets "碳化硅" in a capability.  The dictionaries are plain text files under
``matching/data/`` that the bureau can extend; loaders accept extra paths.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import rjieba

__all__ = [
    "DATA_DIR",
    "Analyzer",
    "BM25Index",
    "Lexicon",
    "char_ngrams",
    "default_analyzer",
    "load_lexicon",
]

DATA_DIR = Path(__file__).parent / "data"

_CJK = re.compile(r"[\u4e00-\u9fff]")
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NUMBERISH = re.compile(r"^[\d.,%+\-eE×x/]+$")
_SCRIPT_RUN = re.compile(r"[\u4e00-\u9fff]+|[^\u4e00-\u9fff]+")
_USER_FREQ = 200_000  # high enough that a listed term beats jieba's own split


def normalise_text(text: str) -> str:
    """NFKC (full-width → half-width, µ → μ), collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


_NGRAM_RUN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z][A-Za-z0-9\-]*")


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Segmentation-free tokens: character n-grams of each Chinese run, Latin words whole.

    No dictionary is involved, so nothing depends on how a term is split (or listed).
    Numbers are left out (units and figures are the indicators' job).  A Chinese run
    shorter than ``n`` is kept as one token.
    """
    out: list[str] = []
    for run in _NGRAM_RUN.findall(normalise_text(text).lower()):
        if _CJK.match(run) and len(run) >= n:
            out.extend(run[i : i + n] for i in range(len(run) - n + 1))
        else:
            out.append(run)
    return out


def _lines(path: Path) -> Iterable[str]:
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip("\ufeff\r\n ")
        if line and not line.startswith("#"):
            yield line


@dataclass
class Lexicon:
    """Terms, synonym groups and stop words (all already NFKC-normalised)."""

    terms: set[str] = field(default_factory=set)
    groups: list[list[str]] = field(default_factory=list)
    stopwords: set[str] = field(default_factory=set)

    def canonical_map(self) -> tuple[dict[str, str], dict[str, str]]:
        """Exact and case-folded member → canonical maps.

        The case-folded map keeps only unambiguous keys ("GaN" 氮化镓 and "GAN"
        生成对抗网络 must stay apart; "sic" is safe).
        """
        exact: dict[str, str] = {}
        folded: dict[str, set[str]] = {}
        for group in self.groups:
            canon = _squash(group[0])
            for member in group:
                key = _squash(member)
                exact.setdefault(key, canon)
                folded.setdefault(key.lower(), set()).add(canon)
        unique = {k: next(iter(v)) for k, v in folded.items() if len(v) == 1}
        return exact, unique


def _squash(term: str) -> str:
    """Drop spaces inside a term ("Mini LED" → "MiniLED") so it is one token."""
    return normalise_text(term).replace(" ", "")


def load_lexicon(
    terms: Sequence[str | Path] = (),
    synonyms: Sequence[str | Path] = (),
    stopwords: Sequence[str | Path] = (),
    include_default: bool = True,
) -> Lexicon:
    """Load the bundled dictionaries plus any extra files."""
    term_files = [Path(p) for p in terms]
    syn_files = [Path(p) for p in synonyms]
    stop_files = [Path(p) for p in stopwords]
    if include_default:
        term_files.insert(0, DATA_DIR / "terms.txt")
        syn_files.insert(0, DATA_DIR / "synonyms.tsv")
        stop_files.insert(0, DATA_DIR / "stopwords.txt")
    lex = Lexicon()
    for path in term_files:
        lex.terms.update(normalise_text(line.split("\t")[0]) for line in _lines(path))
    for path in syn_files:
        for line in _lines(path):
            members = [normalise_text(m) for m in line.split("\t") if m.strip()]
            if len(members) >= 2:
                lex.groups.append(members)
    for path in stop_files:
        lex.stopwords.update(normalise_text(line) for line in _lines(path))
    return lex


class Analyzer:
    """Text → canonical tokens, identical at index and query time."""

    def __init__(self, lexicon: Lexicon | None = None, subwords: bool = True) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.subwords = subwords
        self._exact, self._folded = self.lexicon.canonical_map()
        self._jieba = rjieba.Jieba()
        phrases: set[str] = set()
        for term in self.lexicon.terms | {m for g in self.lexicon.groups for m in g}:
            if " " in term:
                phrases.add(term)
            self._jieba.add_word(_squash(term), _USER_FREQ, None)
        # multi-word members ("Mini LED") are glued before segmentation
        self._phrase_re = (
            re.compile(
                "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)),
                re.IGNORECASE,
            )
            if phrases
            else None
        )
        self._stop = {s.lower() for s in self.lexicon.stopwords}
        self._display: dict[str, str] = {}

    def canonical(self, token: str) -> str:
        """The canonical form of one token (lower-case for Latin script)."""
        canon = self._exact.get(token) or self._folded.get(token.lower()) or token
        key = canon.lower()
        self._display.setdefault(key, canon)
        return key

    def display(self, token: str) -> str:
        """Readable form of a canonical token ("sic" → "SiC" as first seen)."""
        return self._display.get(token, token)

    def _keep(self, token: str) -> bool:
        if not _KEEP.search(token) or _NUMBERISH.match(token):
            return False
        if token.lower() in self._stop:
            return False
        # single Latin letters are units or variables, not terms
        return not (len(token) == 1 and not _CJK.match(token))

    def tokens(self, text: str) -> list[str]:
        """Canonical tokens of ``text`` (with dictionary sub-words of compounds)."""
        text = normalise_text(text)
        if self._phrase_re is not None:
            text = self._phrase_re.sub(lambda m: m.group(0).replace(" ", ""), text)
        out: list[str] = []
        for raw in self._jieba.cut(text, True):
            token = raw.strip()
            if not self._keep(token):
                continue
            canon = self.canonical(token)
            out.append(canon)
            if self.subwords and len(token) > 2:
                subs = (self.canonical(sub) for sub in self._subwords(token))
                out.extend(s for s in subs if s != canon)
        return out

    def _subwords(self, token: str) -> list[str]:
        """Dictionary sub-words of a compound ("柔性OLED" → 柔性, OLED)."""
        runs = _SCRIPT_RUN.findall(token)
        subs: list[str] = [] if len(runs) == 1 else [r for r in runs if len(r) > 1]
        for run in runs:
            if _CJK.match(run) and len(run) > 2:
                subs.extend(self._jieba.cut_for_search(run, False))
        return [s for s in dict.fromkeys(subs) if s != token and len(s) > 1 and self._keep(s)]

    def canonical_text(self, text: str) -> str:
        """``text`` with every synonym replaced by its canonical form ("LWR" → "线宽粗糙度")."""
        text = normalise_text(text)
        if self._phrase_re is not None:
            text = self._phrase_re.sub(lambda m: m.group(0).replace(" ", ""), text)
        pieces = (
            self._exact.get(t) or self._folded.get(t.lower()) or t
            for t in self._jieba.cut(text, True)
        )
        return "".join(pieces)


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    """The analyzer over the bundled dictionaries, built once per process."""
    return Analyzer()


class BM25Index:
    """Okapi BM25 over pre-tokenised documents; add and remove one at a time.

    Postings are Python lists turned into numpy arrays lazily per term, so a
    query costs O(postings of its terms), fine for 10^5 documents.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.ids: list[Hashable] = []
        self._row: dict[Hashable, int] = {}
        self._lengths: list[int] = []
        self._alive: list[bool] = []
        self._terms: list[tuple[str, ...]] = []
        self._df: Counter[str] = Counter()
        self._postings: dict[str, tuple[list[int], list[int]]] = {}
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._cache: tuple[np.ndarray, np.ndarray] | None = None  # alive mask, lengths
        self._n_alive = 0
        self._total_len = 0

    def __len__(self) -> int:
        return self._n_alive

    def add(self, doc_id: Hashable, tokens: Sequence[str]) -> None:
        """Index a document (re-adding an id replaces it)."""
        if doc_id in self._row:
            self.remove(doc_id)
        row = len(self.ids)
        counts = Counter(tokens)
        self.ids.append(doc_id)
        self._row[doc_id] = row
        self._lengths.append(len(tokens))
        self._alive.append(True)
        self._terms.append(tuple(counts))
        self._df.update(counts.keys())
        self._n_alive += 1
        self._total_len += len(tokens)
        self._cache = None
        for term, tf in counts.items():
            rows, tfs = self._postings.setdefault(term, ([], []))
            rows.append(row)
            tfs.append(tf)
            self._arrays.pop(term, None)

    def remove(self, doc_id: Hashable) -> None:
        """Forget a document; its postings stay but are masked out."""
        row = self._row.pop(doc_id, None)
        if row is None:
            return
        self._alive[row] = False
        self._df.subtract(self._terms[row])
        self._n_alive -= 1
        self._total_len -= self._lengths[row]
        self._cache = None

    def _array(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        if term not in self._postings:
            return None
        if term not in self._arrays:
            rows, tfs = self._postings[term]
            self._arrays[term] = (np.asarray(rows), np.asarray(tfs, dtype=np.float32))
        return self._arrays[term]

    def idf(self, term: str) -> float:
        """Robertson–Spärck Jones idf (always positive)."""
        df = self._df.get(term, 0)
        return math.log(1.0 + (self._n_alive - df + 0.5) / (df + 0.5))

    def holders(self, term: str) -> list[Hashable]:
        """Ids of the indexed documents that contain ``term``."""
        rows, _ = self._postings.get(term, ([], []))
        return [self.ids[r] for r in rows if self._alive[r]]

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (``self.ids`` order; removed rows score 0).

        Each distinct query term counts once: long posting texts repeat their
        topic words, and counting repeats was measured to hurt.
        """
        out = np.zeros(len(self.ids), dtype=np.float32)
        if not self._n_alive:
            return out
        if self._cache is None:
            self._cache = (np.asarray(self._alive), np.asarray(self._lengths, dtype=np.float32))
        alive, lengths = self._cache
        avg = max(self._total_len / self._n_alive, 1.0)
        norm = self.k1 * (1.0 - self.b + self.b * lengths / avg)
        for term in set(query_tokens):
            arr = self._array(term)
            if arr is None or self._df.get(term, 0) <= 0:
                continue
            rows, tfs = arr
            out[rows] += self.idf(term) * tfs * (self.k1 + 1.0) / (tfs + norm[rows])
        out[~alive] = 0.0
        return out

    def rows(self, ids: Iterable[Hashable]) -> list[int]:
        """Rows of indexed documents (``scores`` order)."""
        return [self._row[i] for i in ids]

    def alive(self) -> np.ndarray:
        """Mask of the rows still indexed (``self.ids`` order)."""
        return np.asarray(self._alive, dtype=bool)

    def score_map(self, query_tokens: Sequence[str]) -> dict[Hashable, float]:
        """Non-zero scores by document id."""
        scores = self.scores(query_tokens)
        return {self.ids[i]: float(scores[i]) for i in np.flatnonzero(scores)}
