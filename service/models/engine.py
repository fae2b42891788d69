from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, TimestampMixin, UTCDateTime, utcnow


class PostingVector(TimestampMixin, Base):
    """The embedding of one posting under one model: the source of truth the index derives from.

    `text_hash` says which text was embedded, so an edit is re-embedded and an unchanged
    posting is not; `indexed_at` moves on every write and drives the indexes' incremental
    catch-up in every API process. `refresh_due`: the lists the posting may enter and a need's
    broker candidates are not yet refreshed for this text while it was published (set by the
    worker's write of the vector, cleared by its refresh; the sweep repairs what a worker that
    died between the two left, `service/engine/refresh.py`, `repair`).
    """

    __tablename__ = "posting_vectors"
    __table_args__ = (
        UniqueConstraint("kind", "posting_id", "model_id", name="uq_posting_vectors_posting"),
        Index("ix_posting_vectors_catch_up", "kind", "model_id", "indexed_at"),
        Index(
            "ix_posting_vectors_refresh_due",
            "kind",
            "model_id",
            "indexed_at",
            sqlite_where=text("refresh_due = 1"),
            postgresql_where=text("refresh_due"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # need | capability
    posting_id: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    # the second view (a need as a passage, a capability as a query), same text; read only
    # for the candidates a ranking scores (`vectors.StoredSecond`), so not loaded with the row
    vector2: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    refresh_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class EmbeddingFailure(TimestampMixin, Base):
    """A posting whose embedding failed: retried by the sweeper, listed for admins."""

    __tablename__ = "embedding_failures"
    __table_args__ = (UniqueConstraint("kind", "posting_id", name="uq_embedding_failures_posting"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    posting_id: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str] = mapped_column(Text)


class EngineInbox(Base):
    """Work handed to a separate engine process (`JIEBANG_ENGINE_WORK=process`,
    `service/engine/inbox.py`): a posting to (re-)embed, written in the transaction that
    changed it, or one whose recommendations were read without a current list, written after
    the read. The engine polls the rows past the last id it read (the whole table now and
    then) and deletes each once done, so a restarted engine finds what it left."""

    __tablename__ = "engine_inbox"
    __table_args__ = {"sqlite_autoincrement": True}  # an id is never used twice

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(16))  # embed | viewed
    kind: Mapped[str] = mapped_column(String(16))  # need | capability
    posting_id: Mapped[int] = mapped_column(Integer)
    # when it was handed over (the backlog's age on /engine/status; none on older rows)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)


class KeywordDoc(Base):
    """A posting in the shared keyword index: its token counts, its distinct terms (what
    explanations read, and what a rewrite takes out of the blocks) and the text's hash.

    Written beside the posting's vector, in the same transaction (`service.engine.keywords`),
    so every process's next query sees it; nothing is rebuilt at start-up.
    """

    __tablename__ = "keyword_docs"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    posting_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    word_len: Mapped[int] = mapped_column(Integer)  # word tokens (BM25 document length)
    char_len: Mapped[int] = mapped_column(Integer)  # character bigrams
    word_terms: Mapped[str] = mapped_column(Text)  # distinct word tokens, one per line
    char_terms: Mapped[str] = mapped_column(Text)  # distinct bigrams, one per line
    # what ranking reads of the posting (organisation, field, parsed indicators), JSON
    # (`service.engine.facts`); NULL on a row written before it was kept
    facts: Mapped[str | None] = mapped_column(Text, nullable=True)
    # each listed term's frequency, uint16 little-endian, word terms then bigrams in the
    # order of the lists above (a candidate's exact BM25 without reading the term's blocks);
    # NULL on a row written before they were kept (read from the blocks then)
    tfs: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class KeywordBlock(Base):
    """The postings of one term among 8192 consecutive posting ids, packed: `data` is int32
    triples (posting id ascending, term frequency, the posting's length in `field`).

    A query reads a term's blocks in one index range; a write rewrites only the blocks of its
    postings' terms in their id range (at most 8192 entries each).
    """

    __tablename__ = "keyword_blocks"
    __table_args__ = ({"sqlite_with_rowid": False},)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    field: Mapped[str] = mapped_column(String(4), primary_key=True)  # word | char
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    block: Mapped[int] = mapped_column(Integer, primary_key=True)  # posting id // 8192
    n: Mapped[int] = mapped_column(Integer)  # entries
    data: Mapped[bytes] = mapped_column(LargeBinary)


class KeywordHead(Base):
    """A term's head: its document frequency and its best postings by BM25 impact, at most
    `keywords.HEAD` of them, packed like a block (int32 triples id, tf, length; best first).

    A term held by at most HEAD postings has them all here (`df` = entries): a query reads
    one row per term whatever the corpus size. Kept in the posting's write transaction
    (`service.engine.keywords.write_tokens`).
    """

    __tablename__ = "keyword_heads"
    __table_args__ = ({"sqlite_with_rowid": False},)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    field: Mapped[str] = mapped_column(String(4), primary_key=True)  # word | char
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    df: Mapped[int] = mapped_column(Integer)  # postings holding the term
    data: Mapped[bytes] = mapped_column(LargeBinary)


class KeywordStats(Base):
    """Corpus statistics of one side's keyword index (BM25's N and total lengths), kept exact
    by every write in its own transaction."""

    __tablename__ = "keyword_stats"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    docs: Mapped[int] = mapped_column(Integer, default=0)
    word_total: Mapped[int] = mapped_column(BigInteger, default=0)
    char_total: Mapped[int] = mapped_column(BigInteger, default=0)
