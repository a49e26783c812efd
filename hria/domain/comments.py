"""Threaded comments on an assessment and the notifications they send to the other parties.

Who reads a comment is decided by ``access.comment_readable``: the parties to the assessment (not a buyer
reading a shared self-certification), and of them those who read the object the thread is about. A reply
belongs to the thread of its top-level comment. Notifications go only to those who read the comment.
"""

from __future__ import annotations

from hria.domain import access, questions
from hria.domain.models import (
    Assessment,
    Comment,
    Finding,
    Invitation,
    Notification,
    OversightAssignment,
    RemediationAction,
    User,
)
from hria.domain.vocabulary import Role
from hria.extensions import db

MAX_BODY = 5000
NOTIFICATIONS_SHOWN = 50


def targets(user: User, assessment: Assessment) -> list[tuple[str, str]]:
    """The threads this user may read and post to, with their labels, in the order they are offered."""
    lang = assessment.language
    stage = questions.stage_questions(questions.bank_for(assessment), assessment)
    candidates = [(access.BUYER_THREAD, "The assessment as a whole (not shown to invited vendors)")]
    if assessment.invitations:
        candidates.append((access.OPEN_THREAD, "The assessment as a whole, with the invited vendors"))
    candidates += [
        (f"question:{q['id']}", f"{q['id']} · {questions.text(q['text'], lang)[:80]}")
        for q in stage["questions"]
    ]
    if access.reads_buyer_side(user, assessment):
        candidates += [
            (f"finding:{f.id}", f"Finding: {f.text[:80]}")
            for f in db.session.query(Finding).filter_by(assessment_id=assessment.id)
        ]
        candidates += [
            (f"action:{a.id}", f"Action: {a.text[:80]}")
            for a in db.session.query(RemediationAction).filter_by(assessment_id=assessment.id)
        ]
    return [
        (value, label)
        for value, label in candidates
        if access.comment_target_readable(user, assessment, value)
    ]


def threads(assessment: Assessment, user: User) -> dict[str, list[tuple[Comment, list[Comment]]]]:
    """The readable comments by target, each top-level comment with its replies."""
    if not access.takes_part(user, assessment):
        return {}
    rows = (
        db.session.query(Comment)
        .filter_by(assessment_id=assessment.id)
        .order_by(Comment.created_at, Comment.id)
    )
    readable_targets: dict[str, bool] = {}
    comments = []
    for c in rows:
        if c.target not in readable_targets:
            readable_targets[c.target] = access.comment_target_readable(user, assessment, c.target)
        if readable_targets[c.target]:
            comments.append(c)
    replies: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id:
            replies.setdefault(c.parent_id, []).append(c)
    out: dict[str, list] = {}
    for c in comments:
        if not c.parent_id:
            out.setdefault(c.target, []).append((c, replies.get(c.id, [])))
    return out


def thread_root(comment: Comment) -> Comment:
    """The top-level comment a reply belongs to: replies are shown under it, never under another reply."""
    while comment.parent_id:
        comment = db.session.get_one(Comment, comment.parent_id)
    return comment


def post(
    assessment: Assessment, author: User, target: str, body: str, parent: Comment | None = None
) -> Comment:
    comment = Comment(
        assessment_id=assessment.id,
        target=parent.target if parent else target,
        parent_id=parent.id if parent else None,
        author_id=author.id,
        body=body.strip(),
    )
    db.session.add(comment)
    db.session.flush()
    for recipient in recipients(assessment, author):
        if access.comment_readable(recipient, comment):
            db.session.add(Notification(user_id=recipient.id, comment_id=comment.id))
    return comment


def recipients(assessment: Assessment, author: User) -> list[User]:
    """The active users of every party to the assessment, but the author and admins."""
    owner = assessment.system.owner_id
    oversight = [a.oversight_id for a in db.session.query(OversightAssignment).filter_by(overseen_id=owner)]
    vendors = [i.organisation_id for i in db.session.query(Invitation).filter_by(assessment_id=assessment.id)]
    organisations = {owner, *oversight, *vendors}
    return (
        db.session.query(User)
        .filter(
            User.organisation_id.in_(organisations),
            User.active.is_(True),
            User.id != author.id,
            User.role != Role.ADMIN,
        )
        .all()
    )


def unread(user: User) -> list[Notification]:
    """Unread notifications of comments the user reads now (a party's access may have narrowed since)."""
    rows = (
        db.session.query(Notification)
        .filter_by(user_id=user.id, read=False)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    shown = []
    for notification in rows:
        if access.comment_readable(user, notification.comment):
            shown.append(notification)
            if len(shown) == NOTIFICATIONS_SHOWN:
                break
    return shown


def mark_read(user: User, assessment: Assessment) -> None:
    ids = [c.id for c in db.session.query(Comment.id).filter_by(assessment_id=assessment.id)]
    if ids:
        (
            db.session.query(Notification)
            .filter(Notification.user_id == user.id, Notification.comment_id.in_(ids))
            .update({"read": True}, synchronize_session=False)
        )


__all__ = ["mark_read", "post", "targets", "thread_root", "threads", "unread"]
