"""Threaded comments on an assessment and the notifications they send to the other parties."""
from __future__ import annotations

from . import access
from .extensions import db
from .models import Assessment, Comment, Invitation, Notification, OversightAssignment, User

TARGET_PREFIXES = ("assessment", "question:", "finding:", "action:")


def valid_target(target: str) -> bool:
    return target == "assessment" or (target.startswith(TARGET_PREFIXES[1:]) and len(target) <= 40)


def threads(assessment: Assessment, user: User) -> dict[str, list[tuple[Comment, list[Comment]]]]:
    """Comments by target, each top-level comment with its replies; vendors see only threads on their part."""
    rows = db.session.query(Comment).filter_by(assessment_id=assessment.id).order_by(Comment.created_at, Comment.id)
    comments = [c for c in rows if _readable(user, c)]
    replies: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id:
            replies.setdefault(c.parent_id, []).append(c)
    out: dict[str, list] = {}
    for c in comments:
        if not c.parent_id:
            out.setdefault(c.target, []).append((c, replies.get(c.id, [])))
    return out


def _readable(user: User, comment: Comment) -> bool:
    if user.role != "vendor":
        return True
    return comment.author.organisation_id == user.organisation_id or comment.target.startswith("question:")


def post(assessment: Assessment, author: User, target: str, body: str, parent: Comment | None = None) -> Comment:
    comment = Comment(assessment_id=assessment.id, target=parent.target if parent else target,
                      parent_id=parent.id if parent else None, author_id=author.id, body=body.strip())
    db.session.add(comment)
    db.session.flush()
    for recipient in recipients(assessment, author):
        db.session.add(Notification(user_id=recipient.id, comment_id=comment.id))
    return comment


def recipients(assessment: Assessment, author: User) -> list[User]:
    """The active users of every party to the assessment, but the author."""
    owner = assessment.system.owner_id
    oversight = [a.oversight_id for a in db.session.query(OversightAssignment).filter_by(overseen_id=owner)]
    vendors = [i.organisation_id for i in db.session.query(Invitation).filter_by(assessment_id=assessment.id)]
    organisations = {owner, *oversight, *vendors}
    users = db.session.query(User).filter(User.organisation_id.in_(organisations), User.active.is_(True),
                                          User.id != author.id, User.role != "admin").all()
    return [u for u in users if u.role != "vendor" or access.can_contribute(u, assessment)]


def unread(user: User) -> list[Notification]:
    return (db.session.query(Notification).filter_by(user_id=user.id, read=False)
            .order_by(Notification.created_at.desc()).limit(50).all())


def mark_read(user: User, assessment: Assessment) -> None:
    ids = [c.id for c in db.session.query(Comment.id).filter_by(assessment_id=assessment.id)]
    if ids:
        (db.session.query(Notification).filter(Notification.user_id == user.id, Notification.comment_id.in_(ids))
         .update({"read": True}, synchronize_session=False))


__all__ = ["post", "threads", "unread", "mark_read", "valid_target"]
