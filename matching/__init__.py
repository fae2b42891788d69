"""Jiebang matching engine: embeddings, FAISS index, Chinese BM25, indicators, fusion.

A pure library (no web or database imports).  ``service/`` maps its rows onto
:class:`matching.documents.Doc`, stores one vector per posting from
:func:`matching.ranking.encode_postings`, and ranks with
:class:`matching.ranking.Matcher` (one per side: needs, capabilities).
Measured quality: ``matching/RESULTS.md``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
