"""Community notices (公告 / 公示): staff publish them for a community inside a publish
window; residents see the current ones on the mini-program's home page; a read is
recorded once per person (``notice_reads`` primary key, ``INSERT … ON CONFLICT DO
NOTHING``), so the read count is the number of people who opened it.

A disclosure (公示) with an end is open to objections from the community's confirmed
residents during its notice period; staff answer each one.

A notice is *current* when it is not withdrawn, ``publish_from <= now`` and
(``publish_until`` is empty or ``now < publish_until``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa

from backend.core.bilingual import Text, pick
from backend.core.errors import ApiError, field_error
from backend.extensions import db
from backend.participation import operations as common
from backend.notify.operations import enqueue
from backend.participation.models import CommunityNotice, NoticeRead, Objection, ResidencyStatus
from backend.places.models import Place


def get_notice(notice_id: int) -> CommunityNotice:
    return common.get_or_404(CommunityNotice, notice_id, "notice_not_found")


def is_current(notice: CommunityNotice, now: Optional[datetime] = None) -> bool:
    now = now or common.utcnow()
    return (notice.withdrawn_at is None and notice.publish_from <= now
            and (notice.publish_until is None or now < notice.publish_until))


def has_been_published(notice: CommunityNotice) -> bool:
    """Published at some time up to now and not withdrawn (current or expired)."""
    return notice.withdrawn_at is None and notice.publish_from <= common.utcnow()


def _current(now: datetime):
    return sa.and_(CommunityNotice.withdrawn_at.is_(None), CommunityNotice.publish_from <= now,
                   sa.or_(CommunityNotice.publish_until.is_(None),
                          CommunityNotice.publish_until > now))


def _check_window(start: datetime, until: Optional[datetime]) -> None:
    if until is not None and until <= start:
        raise field_error("publish_until", "notice_window")


# A 公示's notice period: the window in which residents may object (三公开一监督).
DEFAULT_NOTICE_DAYS = 7


# the fixed last sentence of every 公示 (``{days}``: its notice period)
NOTICE_PERIOD = Text("公示期 {days} 天，如有异议请在公示期内提出。",
                     "Notice period: {days} days. Any objection must be raised within it.")


def disclose(actor, community_id: int, title: "str | Text", lines: "list[str | Text]",
             days: int = DEFAULT_NOTICE_DAYS, area: str = "affairs") -> CommunityNotice:
    """Publish a 公示 now, for ``days``: vote results, council decisions, expenses.

    The system writes it in both languages: ``title`` and each line are ``Text(zh, en)``
    (a plain string is the same in both), written to ``title``/``body`` and
    ``title_en``/``body_en`` so a reader of English gets the English one. A plain-string
    title means no English was written: the notice is Chinese for everyone."""
    now = common.utcnow()
    texts = [*lines, NOTICE_PERIOD.format(days=days)]
    body = {language: "\n".join(pick(line, language) for line in texts)
            for language in ("zh", "en")}
    if not isinstance(title, Text):
        body["en"] = ""
    notice = CommunityNotice(community_id=community_id, kind="disclosure", area=area,
                             title=pick(title, "zh")[:100], body=body["zh"],
                             title_en=title.en[:150] if isinstance(title, Text) else "",
                             body_en=body["en"],
                             publish_from=now,
                             publish_until=now + timedelta(days=days), created_by_id=actor.id)
    db.session.add(notice)
    db.session.flush()
    return notice


def create(actor, community: Place, args: dict) -> CommunityNotice:
    start = args.get("publish_from") or common.utcnow()
    _check_window(start, args.get("publish_until"))
    row = CommunityNotice(community_id=community.id, kind=args.get("kind", "notice"),
                          area=args.get("area", "affairs"),
                          title=args["title"], body=args["body"],
                          title_en=args.get("title_en", ""), body_en=args.get("body_en", ""),
                          publish_from=start,
                          publish_until=args.get("publish_until"),
                          pinned=args.get("pinned", False), created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def update(row: CommunityNotice, args: dict) -> CommunityNotice:
    if row.withdrawn_at is not None:
        raise ApiError(409, "notice_withdrawn", code="conflict")
    start = args.get("publish_from", row.publish_from)
    until = args["publish_until"] if "publish_until" in args else row.publish_until
    _check_window(start, until)
    for name in ("kind", "area", "title", "body", "title_en", "body_en", "pinned"):
        if name in args:
            setattr(row, name, args[name])
    row.publish_from, row.publish_until = start, until
    db.session.flush()
    return row


def withdraw(row: CommunityNotice) -> CommunityNotice:
    if row.withdrawn_at is None:
        row.withdrawn_at = common.utcnow()
        db.session.flush()
    return row


def notice_query(community_ids: Iterable[int], include_all: bool = False,
                 kind: Optional[str] = None, area: Optional[str] = None):
    q = sa.select(CommunityNotice).where(CommunityNotice.community_id.in_(list(community_ids)))
    if not include_all:
        q = q.where(_current(common.utcnow()))
    if kind:
        q = q.where(CommunityNotice.kind == kind)
    if area:
        q = q.where(CommunityNotice.area == area)
    return q


# pinned first, then newest first: the keys of a keyset page, all descending
NOTICE_KEYS = (CommunityNotice.pinned, CommunityNotice.publish_from, CommunityNotice.id)
NOTICE_KINDS_OF_KEYS = ("bool", "dt", "int")
NOTICE_ORDER = tuple(key.desc() for key in NOTICE_KEYS)


def home_community_ids(user) -> list[int]:
    """The communities whose notices are on my home page: where I declared a home that is
    confirmed or still waiting for confirmation."""
    return common.communities_of(user.id, (ResidencyStatus.confirmed.value,
                                           ResidencyStatus.pending.value))


def mark_read(user, row: CommunityNotice) -> bool:
    """Record that ``user`` read the notice; True the first time only."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = db.session.execute(
        insert(NoticeRead).values(notice_id=row.id, user_id=user.id, read_at=common.utcnow())
        .on_conflict_do_nothing(index_elements=["notice_id", "user_id"])
        .returning(NoticeRead.notice_id))
    return result.first() is not None  # nothing returned: the row was already there


def read_counts(notice_ids: list[int]) -> dict[int, int]:
    if not notice_ids:
        return {}
    return dict(db.session.execute(
        sa.select(NoticeRead.notice_id, sa.func.count())
        .where(NoticeRead.notice_id.in_(notice_ids)).group_by(NoticeRead.notice_id)).all())


def read_by(user, notice_ids: list[int]) -> set[int]:
    if not notice_ids or user is None:
        return set()
    return set(db.session.execute(
        sa.select(NoticeRead.notice_id).where(NoticeRead.user_id == user.id,
                                              NoticeRead.notice_id.in_(notice_ids))).scalars())


# --- objections to a disclosure (公示异议) ------------------------------------------------

def objection_window_open(notice: CommunityNotice, now: Optional[datetime] = None) -> bool:
    """Objections are taken during a disclosure's notice period: from ``publish_from`` up
    to (not including) ``publish_until``. A disclosure without an end takes none."""
    return (notice.kind == "disclosure" and notice.publish_until is not None
            and is_current(notice, now))


def object_to(user, notice: CommunityNotice, body: str) -> Objection:
    """``user`` has a voice in the notice's community (``permissions.has_voice_in``: the
    view asks first)."""
    if not objection_window_open(notice):
        raise ApiError(409, "objection_window_closed", code="conflict")
    row = Objection(notice_id=notice.id, user_id=user.id, body=body)
    db.session.add(row)
    db.session.flush()
    return row


def get_objection(objection_id: int) -> Objection:
    return common.get_or_404(Objection, objection_id, "objection_not_found")


def answer_objection(actor, row: Objection, answer: str) -> Objection:
    if row.answered_at is not None:
        raise ApiError(409, "objection_answered", code="conflict")
    row.answer, row.answered_by_id, row.answered_at = answer, actor.id, common.utcnow()
    db.session.flush()
    notice = row.notice
    enqueue([row.user_id], "objection_answered",
            Text("公示异议已答复", "Objection answered"),
            Text(f"您对“{notice.title}”提出的异议已答复：{answer}",
                 f"Your objection to “{notice.title_en or notice.title}” was answered: "
                 f"{answer}"),
            page=f"pages/participation/notice?id={row.notice_id}")
    return row


def objection_query(notice: CommunityNotice, only_user_id: Optional[int]):
    q = sa.select(Objection).where(Objection.notice_id == notice.id)
    if only_user_id is not None:
        q = q.where(Objection.user_id == only_user_id)
    return q.order_by(Objection.id)
