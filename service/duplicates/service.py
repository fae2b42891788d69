"""Near-duplicate postings: the warning a poster gets after save or submit, the list an admin
reviews, and the admin's 重复 mark (a link, audited; nothing is deleted or merged away).

The warning is a separate read (`GET /duplicates/{kind}/{id}`) the web app asks for right
after a save or a submit answered: saving and submitting never wait on it and never fail for
it. Candidates are only postings the caller may see (the domain's `auth.readable`), scored by
`matching.duplicates` with the engine's stored vectors.
"""

import numpy as np
from sqlalchemy.orm import Session

from matching.duplicates import DENSE_FLOOR, THRESHOLD, DuplicateScore, score_pair
from matching.ranking import encode_postings
from service.duplicates import auth, presenters, repository
from service.duplicates.auth import Kind
from service.duplicates.lifecycle import DUPLICATE_MACHINE
from service.duplicates.schemas import (
    DuplicateCandidate,
    DuplicateCheck,
    DuplicateLinkRead,
    DuplicateMark,
)
from service.engine.documents import Posting, doc_hash, to_doc
from service.engine.vectors import as_array, get_embedder, stored_vector
from service.kit.actions import TransitionIn
from service.kit.errors import BadRequest, Conflict, Forbidden, NotFound, found
from service.models import DuplicateLink, User

POOL = 30  # nearest postings by cosine that are scored in full
SHOWN = 10  # at most this many warnings

_NOUN = {"need": "需求", "capability": "成果"}


def _not_found(kind: Kind) -> NotFound:
    return NotFound(f"该{_NOUN[kind]}不存在或无权查看", f"{kind} not found")


def _vector(session: Session, kind: Kind, posting: Posting) -> np.ndarray:
    """The posting's stored vector when it matches its text now, else encoded here (a draft
    saved a moment ago is embedded after the commit)."""
    embedder = get_embedder()
    doc = to_doc(posting)
    row = stored_vector(session, kind, posting.id, embedder.model_id)
    if row is not None and row.text_hash == doc_hash(doc) and row.dim == embedder.dim:
        return as_array(row)
    return np.asarray(encode_postings(embedder, [doc])[0], dtype=np.float32)


def _scores(
    session: Session, user: User, kind: Kind, posting: Posting
) -> dict[int, DuplicateScore]:
    """Visible postings of `kind` at or above the threshold, by id."""
    embedder = get_embedder()
    visible = auth.readable(user, kind)
    rows = repository.candidate_vectors(session, kind, embedder.model_id, visible, posting.id)
    rows = [(i, v) for i, v in rows if len(v) == 4 * embedder.dim]
    if not rows:
        return {}
    query = _vector(session, kind, posting)
    matrix = np.stack([np.frombuffer(v, dtype=np.float32) for _, v in rows])
    cosines = matrix @ query
    order = [n for n in np.argsort(-cosines)[:POOL] if cosines[n] > DENSE_FLOOR]
    if not order:
        return {}
    others = {p.id: p for p in repository.postings(session, kind, [rows[n][0] for n in order])}
    doc = to_doc(posting)
    out: dict[int, DuplicateScore] = {}
    for n in order:
        other = others.get(rows[n][0])
        if other is None:
            continue
        score = score_pair(doc, to_doc(other), float(cosines[n]))
        if score.likely_duplicate:
            out[other.id] = score
    return out


def check(session: Session, user: User, kind: Kind, posting_id: int) -> DuplicateCheck:
    """The likely duplicates of one posting that the caller may see, most alike first, and
    the admin's marks on it. Its poster, brokers and admins may ask."""
    posting = repository.posting(session, kind, posting_id, auth.readable(user, kind))
    if posting is None:
        raise _not_found(kind)
    if not auth.may_check(user, kind, posting):
        raise Forbidden(
            f"只有发布方、技术经纪人和管理员可以查看疑似重复的{_NOUN[kind]}",
            "Poster, broker or admin only",
        )
    scores = _scores(session, user, kind, posting)
    links = repository.links_of(session, kind, posting.id)
    live = {
        link.duplicate_of_id if link.posting_id == posting.id else link.posting_id
        for link in links
        if link.status == "linked"
    }
    ranked = sorted(scores.items(), key=lambda item: -item[1].similarity)[:SHOWN]
    others = {p.id: p for p in repository.postings(session, kind, [i for i, _ in ranked])}
    candidates: list[DuplicateCandidate] = [
        presenters.candidate(kind, others[i], score, posting, linked=i in live)
        for i, score in ranked
        if i in others
    ]
    return DuplicateCheck(
        kind=kind,
        posting_id=posting.id,
        threshold=THRESHOLD,
        candidates=candidates,
        links=_present_links(session, user, kind, links),
    )


def _present_links(
    session: Session, user: User, kind: Kind, links: list[DuplicateLink]
) -> list[DuplicateLinkRead]:
    ids = {i for link in links for i in (link.posting_id, link.duplicate_of_id)}
    titles = repository.titles(session, kind, sorted(ids), auth.readable(user, kind))
    # A link is shown only when the caller may see both of its postings.
    return [
        presenters.link(link, titles, user)
        for link in links
        if link.posting_id in titles and link.duplicate_of_id in titles
    ]


def mark(session: Session, user: User, data: DuplicateMark) -> DuplicateLinkRead:
    """标记为重复 (admins): link `posting_id` to `duplicate_of_id`, with the similarity now and
    the reason, both in the link and in its audit row."""
    if not auth.may_mark(user):
        raise Forbidden("只有管理员可以标记重复", "Admins only", code="not_allowed")
    kind: Kind = data.kind
    if data.posting_id == data.duplicate_of_id:
        raise BadRequest("不能把一条发布标记为与自己重复", "A posting cannot repeat itself")
    visible = auth.readable(user, kind)
    posting = repository.posting(session, kind, data.posting_id, visible)
    original = repository.posting(session, kind, data.duplicate_of_id, visible)
    if posting is None or original is None:
        raise _not_found(kind)
    if repository.live_link(session, kind, posting.id, original.id) is not None:
        raise Conflict("这两条已标记为重复", "These two are already linked", code="already_linked")
    link = repository.new_link(
        session,
        kind=kind,
        posting_id=posting.id,
        duplicate_of_id=original.id,
        similarity=_pair_similarity(session, kind, posting, original),
        reason=data.reason,
        marked_by_id=user.id,
    )
    DUPLICATE_MACHINE.start(session, link, user.id, reason=data.reason)
    titles = {posting.id: posting.title, original.id: original.title}
    return presenters.link(link, titles, user)


def _pair_similarity(session: Session, kind: Kind, a: Posting, b: Posting) -> float:
    va, vb = _vector(session, kind, a), _vector(session, kind, b)
    if va.shape != vb.shape:
        return 0.0
    return score_pair(to_doc(a), to_doc(b), float(np.dot(va, vb))).similarity


def transition(
    session: Session, user: User, link_id: int, action: str, data: TransitionIn
) -> DuplicateLinkRead:
    """A step of a link (取消重复标记), admins only, with a reason."""
    link = found(
        repository.link(session, link_id, for_update=True),
        ("该重复标记不存在", "Duplicate link not found"),
    )
    DUPLICATE_MACHINE.require(action, user, link)
    DUPLICATE_MACHINE.apply(session, link, action, user.id, data.reason)
    session.flush()
    kind: Kind = "need" if link.kind == "need" else "capability"
    titles = repository.titles(session, kind, [link.posting_id, link.duplicate_of_id])
    return presenters.link(link, titles, user)
