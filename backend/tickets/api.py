"""Tickets API: residents, the public, staff and grid workers. Views are thin."""
from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import jsonify
from flask_smorest import Blueprint

from backend.accounts.models import Role
from backend.accounts.permissions import can_manage_place
from backend.tickets import permissions
from backend.core.auth import current_user, login_required
from backend.core.content_check import SCENE_COMMENT, checked_text
from backend.core.errors import ApiError
from backend.core.fields import is_id
from backend.core.idempotency import idempotent
from backend.core.paging import page, page_schema
from backend.core.schemas import audience_views, shared
from backend.core.versioning import expected_version
from backend.extensions import db
from backend.places.models import Place
from backend.tickets import operations as ops
from backend.tickets import alerts, correction, intake, presenters, queries
from backend.tickets import settings as case_settings
from backend.tickets.models import Category, Department, Ticket
from backend.tickets.schemas import (
    AcceptArgs, BulkArgs, BulkResultSchema, CategoryTreeSchema, CheckInArgs, CheckInSchema,
    CommunitySettingsArgs, CommunitySettingsSchema, DepartmentSchema,
    DispatchArgs, MergeArgs, MyTicketsArgs, NearbyArgs, NearbySchema, NoteArgs,
    PatrolReportArgs, PublicListArgs, QueueArgs, RatingArgs, ReasonArgs, RecategorizeArgs,
    ResidentLookupArgs, ResidentRefSchema, ResolveArgs, ReworkArgs, SupplementArgs, TaskArgs, TaskDetailSchema, TaskSchema, TicketCreateArgs,
    TicketPublicSchema, TicketResidentSchema, TicketStaffRowSchema, TicketStaffSchema,
    TicketSummarySchema,
)

blp = Blueprint("tickets", __name__, url_prefix="/api/v1",
                description="Reports (事件): residents, the public, staff and grid workers")

STAFF = (Role.staff.value, Role.admin.value)


def capped_page_schema(item_schema, name: str):
    """A page whose total stops counting at 10,000 (``queries.TOTAL_CAP``)."""
    return page_schema(item_schema, name, total_capped=ma.fields.Boolean(metadata={
        "description": "true when more than `total` match: totals stop counting at 10,000"}))


QueuePage = capped_page_schema(TicketStaffRowSchema, "QueuePage")
SummaryPage = page_schema(TicketSummarySchema, "TicketSummaryPage")
PublicPage = page_schema(TicketPublicSchema, "PublicTicketPage")
TaskPage = page_schema(TaskSchema, "TaskPage")
ResidentPage = page_schema(ResidentRefSchema, "ResidentPage")


def _with_etag(data: dict, ticket: Ticket):
    return data, 200, {"ETag": f'"{ticket.version}"'}


# --- categories ------------------------------------------------------------------------

@blp.route("/categories", methods=["GET"])
@login_required()
@blp.response(200, CategoryTreeSchema(many=True))
def categories():
    """The two-level categories (大类 with their 小类)."""
    rows = db.session.execute(
        sa.select(Category).where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)).scalars().all()
    tops = [c for c in rows if c.parent_id is None]
    return [{"id": top.id, "code": top.code, "name": top.name, "name_en": top.name_en,
             "children": [c for c in rows if c.parent_id == top.id]} for top in tops]


# --- residents -------------------------------------------------------------------------

@blp.route("/tickets", methods=["POST"])
@login_required(Role.resident.value, *STAFF)
@idempotent
@blp.arguments(TicketCreateArgs)
@blp.response(201, audience_views(TicketResidentSchema, TicketStaffSchema), description=(
    "A resident gets TicketResident; staff filing a case (登记) get TicketStaff."))
def create_ticket(args):
    """Report a problem, or (staff) file one for a caller, a walk-in or a 12345 transfer
    (send an `Idempotency-Key`: a retry returns the first answer)."""
    verdict = checked_text(args["description"], "description")
    user = current_user()
    ticket = intake.file_case(user, args, text_status=verdict)
    if user.role == Role.resident.value:
        schema, data = shared(TicketResidentSchema), presenters.resident_view(ticket, user)
    else:
        schema, data = shared(TicketStaffSchema), presenters.staff_view(ticket, user)
    response = jsonify(schema.dump(data))
    response.status_code = 201
    response.headers["ETag"] = f'"{ticket.version}"'
    return response


@blp.route("/residents", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(ResidentLookupArgs, location="query")
@blp.response(200, ResidentPage)
def residents(args):
    """Find a registered, active resident by exact phone (to file a case for them); the
    phone comes back masked."""
    rows, cursor = intake.residents_by_phone(current_user(), args.get("phone"),
                                             args.get("cursor"), args["limit"])
    return page([presenters.masked_person(u) for u in rows], cursor, len(rows)
                if cursor is None and not args.get("cursor") else None)


@blp.route("/tickets/nearby", methods=["GET"])
@login_required()
@blp.arguments(NearbyArgs, location="query")
@blp.response(200, NearbySchema(many=True))
def nearby(args):
    """Open tickets of this 小类 within 250 m from the last 30 days ("附近已有…")."""
    user = current_user()
    hits = ops.nearby(args["category"], args["lat"], args["lng"], viewer=user)
    return [{"id": t.id, "description": t.description[:100], "state": t.state,
             "distance_m": round(d / 10) * 10, "follower_count": t.follower_count,
             "created_at": t.created_at, "following": ops.is_following(user, t),
             "mine": t.reporter_id == user.id}
            for t, d in hits]


@blp.route("/me/tickets", methods=["GET"])
@login_required()
@blp.arguments(MyTicketsArgs, location="query")
@blp.response(200, SummaryPage)
def my_tickets(args):
    """The tickets I reported (or follow), newest first; cursor pagination."""
    rows, cursor = queries.my_tickets(current_user(), args["relation"], args.get("cursor"),
                                      args["limit"])
    return page(rows, cursor)


@blp.route("/tickets/<int:ticket_id>", methods=["GET"])
@login_required()
@blp.response(200, audience_views(TicketStaffSchema, TaskDetailSchema, TicketResidentSchema,
                                  TicketPublicSchema), description=(
    "The view depends on who asks: staff get TicketStaff, the assigned grid worker "
    "TaskDetail, the reporter TicketResident, anyone else TicketPublic (public tickets "
    "only)."))
def get_ticket(ticket_id):
    """One ticket, as this user may see it, with its timeline."""
    user = current_user()
    ticket = ops.get_ticket(ticket_id)
    kinds = permissions.ticket_actor_kinds(user, ticket)
    if "staff" in kinds:
        schema, data = shared(TicketStaffSchema), presenters.staff_view(ticket, user)
    elif "assignee" in kinds:
        schema, data = shared(TaskDetailSchema), presenters.task_view(ticket, user)
    elif "reporter" in kinds:
        schema, data = shared(TicketResidentSchema), presenters.resident_view(ticket, user)
    elif permissions.can_view_ticket_publicly(ticket):
        schema, data = shared(TicketPublicSchema), presenters.public_view(ticket, viewer=user)
    else:
        raise ApiError(404, "ticket_not_found", code="not_found")
    # dumped here with the audience's own schema, so no field of another audience leaks
    response = jsonify(schema.dump(data))
    response.headers["ETag"] = f'"{ticket.version}"'
    return response


@blp.route("/tickets/<int:ticket_id>/follow", methods=["POST"])
@login_required(Role.resident.value)
@blp.response(200, TicketPublicSchema)
def follow(ticket_id):
    """我也遇到: follow this ticket instead of filing the same problem again."""
    user = current_user()
    ticket = ops.get_ticket(ticket_id)
    if not permissions.can_view_ticket_publicly(ticket) and \
            not permissions.can_view_ticket(user, ticket):
        raise ApiError(404, "ticket_not_found", code="not_found")
    ops.follow(user, ticket)
    return presenters.public_view(ticket)


@blp.route("/tickets/<int:ticket_id>/follow", methods=["DELETE"])
@login_required(Role.resident.value)
@blp.response(204)
def unfollow(ticket_id):
    """Stop following."""
    user = current_user()
    ticket = ops.get_ticket(ticket_id)
    # as for following: a ticket this resident may not see is not found (a follower may
    # always leave, even once the ticket is no longer public)
    if not permissions.can_view_ticket_publicly(ticket) and \
            not permissions.can_view_ticket(user, ticket) and not ops.is_following(user, ticket):
        raise ApiError(404, "ticket_not_found", code="not_found")
    ops.unfollow(user, ticket)


@blp.route("/tickets/<int:ticket_id>/supplements", methods=["POST"])
@login_required(Role.resident.value)
@idempotent
@blp.arguments(SupplementArgs)
@blp.response(201, audience_views(TicketResidentSchema, TicketPublicSchema), description=(
    "The reporter gets TicketResident, a follower TicketPublic with the timeline they "
    "may see."))
def supplement(args, ticket_id):
    """The reporter, or a follower (补充线索), adds information or photos."""
    user = current_user()
    ticket = ops.get_ticket(ticket_id)
    kinds = permissions.ticket_actor_kinds(user, ticket)
    if not permissions.can_supplement(user, ticket):  # as if there were no such ticket
        raise ApiError(404, "ticket_not_found", code="not_found")
    verdict = checked_text(args["note"], "note", SCENE_COMMENT)
    ops.add_supplement(user, ticket, args["note"], args["photo_ids"], text_status=verdict)
    if "reporter" in kinds:
        schema, data = shared(TicketResidentSchema), presenters.resident_view(ticket, user)
    else:
        schema, data = shared(TicketPublicSchema), presenters.public_view(ticket, viewer=user)
    response = jsonify(schema.dump(data))
    response.status_code = 201
    return response


@blp.route("/tickets/<int:ticket_id>/rating", methods=["POST"])
@login_required(Role.resident.value)
@blp.arguments(RatingArgs)
@blp.response(200, TicketResidentSchema)
def rate(args, ticket_id):
    """Confirm and rate (满意 / 基本满意 / 不满意); 不满意 within 7 days reopens the case."""
    user = current_user()
    ticket = ops.visible_ticket(user, ticket_id)
    ops.rate(user, ticket, args["rating"], args["comment"], expected_version(args))
    return presenters.resident_view(ticket, user)


# --- the public ------------------------------------------------------------------------

@blp.route("/public/tickets", methods=["GET"])
@blp.arguments(PublicListArgs, location="query")
@blp.response(200, PublicPage)
def public_tickets(args):
    """Public tickets: no reporter, no contact, the location rounded to about 100 m."""
    rows, cursor = queries.public_list(args)
    return page([presenters.public_view(t) for t in rows], cursor)


@blp.route("/public/tickets/<int:ticket_id>", methods=["GET"])
@blp.response(200, TicketPublicSchema)
def public_ticket(ticket_id):
    """One public ticket."""
    ticket = ops.get_ticket(ticket_id)
    if not permissions.can_view_ticket_publicly(ticket):
        raise ApiError(404, "ticket_not_found", code="not_found")
    return presenters.public_view(ticket, timeline=True)


# --- staff -----------------------------------------------------------------------------

@blp.route("/tickets", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(QueueArgs, location="query")
@blp.response(200, QueuePage)
def staff_queue(args):
    """The triage queue of my area: filters, sorted by deadline, cursor pagination, total."""
    rows, cursor, total = queries.queue(current_user(), args, plain=True)
    return page([presenters.staff_row(t) for t in rows], cursor, total.count,
                total_capped=total.capped)


def _staff_ticket(ticket_id: int) -> Ticket:
    return ops.staff_ticket(current_user(), ticket_id)


@blp.route("/tickets/<int:ticket_id>/accept", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(AcceptArgs)
@blp.response(200, TicketStaffSchema)
def accept(args, ticket_id):
    """立案, in the suggested cell or in `place_id` (auto-dispatch follows when on)."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.accept(user, ticket, args.get("place_id"), args["note"], expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/reject", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(ReasonArgs)
@blp.response(200, TicketStaffSchema)
def reject(args, ticket_id):
    """不予立案, with a reason the resident reads."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.reject(user, ticket, args["reason"], expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/dispatch", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(DispatchArgs)
@blp.response(200, TicketStaffSchema)
def dispatch(args, ticket_id):
    """派遣 to a grid worker of the cell (`assignee_id`) or a department (`department_id`)."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.dispatch(user, ticket, args.get("assignee_id"), args.get("department_id"),
                 args["note"], expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/merge", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(MergeArgs)
@blp.response(200, TicketStaffSchema)
def merge(args, ticket_id):
    """Merge this duplicate into `target_id`; its reporter and followers follow the target."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.merge(user, ticket, args["target_id"], args["note"], expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/close", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(NoteArgs)
@blp.response(200, TicketStaffSchema)
def close(args, ticket_id):
    """核查 passed: close the case."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.close(user, ticket, args["note"], expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/rework", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(ReworkArgs)
@blp.response(200, TicketStaffSchema)
def rework(args, ticket_id):
    """核查 failed (返工): back to the handler with a reason and a new deadline."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.rework(user, ticket, args["reason"], args.get("assignee_id"), expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/recategorize", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(RecategorizeArgs)
@blp.response(200, TicketStaffSchema)
def recategorize(args, ticket_id):
    """更正: a new 小类 and/or priority, with a reason; deadline, department, privacy and
    statistics follow the new category (If-Match: the version you saw)."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    correction.recategorize(user, ticket, args.get("category_id"), args.get("priority"),
                            args["reason"], expected_version(args))
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/release", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(NoteArgs)
@blp.response(200, TicketStaffSchema)
def release(args, ticket_id):
    """Publish content WeChat's check held for review (or could not check)."""
    user = current_user()
    ticket = _staff_ticket(ticket_id)
    ops.release_content(user, ticket, args["note"])
    return _with_etag(presenters.staff_view(ticket, user), ticket)


@blp.route("/tickets/bulk", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(BulkArgs)
@blp.response(200, BulkResultSchema)
def bulk(args):
    """Accept or dispatch many tickets; each succeeds or fails on its own."""
    done, failed = ops.bulk_apply(current_user(), args["ticket_ids"], args["action"],
                                  args.get("assignee_id"), args.get("department_id"))
    return {"done": done,
            "failed": {str(ticket_id): getattr(exc, "code", "stale_version")
                       for ticket_id, exc in failed.items()}}


# --- grid workers ----------------------------------------------------------------------

@blp.route("/worker/tasks", methods=["GET"])
@login_required(Role.grid_worker.value)
@blp.arguments(TaskArgs, location="query")
@blp.response(200, TaskPage)
def tasks(args):
    """My open tasks: nearest first when I give my location, otherwise overdue first."""
    pairs, cursor, total = queries.worker_tasks(current_user(), args.get("lat"),
                                                args.get("lng"), args.get("cursor"),
                                                args["limit"])
    return page([presenters.task_row(t, d) for t, d in pairs], cursor, total)


def _assigned_ticket(ticket_id: int) -> Ticket:
    return ops.visible_ticket(current_user(), ticket_id)


@blp.route("/tickets/<int:ticket_id>/start", methods=["POST"])
@login_required(Role.grid_worker.value, *STAFF)
@blp.arguments(NoteArgs)
@blp.response(200, TaskDetailSchema)
def start(args, ticket_id):
    """The handler takes the task (接单)."""
    user = current_user()
    ticket = _assigned_ticket(ticket_id)
    ops.start_work(user, ticket, expected_version(args))
    return _with_etag(presenters.task_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/check-in", methods=["POST"])
@login_required(Role.grid_worker.value)
@blp.arguments(CheckInArgs)
@blp.response(200, CheckInSchema)
def check_in(args, ticket_id):
    """到达: records my position and answers my distance to the ticket's pin."""
    ticket = _assigned_ticket(ticket_id)
    distance = ops.check_in(current_user(), ticket, args["lat"], args["lng"])
    return {"distance_m": distance, "state": ticket.state, "version": ticket.version,
            "far": ticket.checkin_far,
            "max_distance_m": case_settings.for_place_code(ticket.place_code)[
                "checkin_max_distance_m"]}


@blp.route("/tickets/<int:ticket_id>/resolve", methods=["POST"])
@login_required(Role.grid_worker.value, *STAFF)
@idempotent
@blp.arguments(ResolveArgs)
@blp.response(200, TaskDetailSchema)
def resolve(args, ticket_id):
    """已处置, with a note and after-photos."""
    user = current_user()
    ticket = _assigned_ticket(ticket_id)
    ops.resolve(user, ticket, args["note"], args["photo_ids"], expected_version(args))
    return _with_etag(presenters.task_view(ticket, user), ticket)


@blp.route("/tickets/<int:ticket_id>/hand-back", methods=["POST"])
@login_required(Role.grid_worker.value, *STAFF)
@blp.arguments(ReasonArgs)
@blp.response(200, TaskDetailSchema)
def hand_back(args, ticket_id):
    """退回 (not my job) or recall (staff): back to staff with a reason."""
    user = current_user()
    ticket = _assigned_ticket(ticket_id)
    ops.hand_back(user, ticket, args["reason"], expected_version(args))
    return _with_etag(presenters.task_view(ticket, user), ticket)


@blp.route("/worker/patrol-reports", methods=["POST"])
@login_required(Role.grid_worker.value)
@idempotent
@blp.arguments(PatrolReportArgs)
@blp.response(201, TaskDetailSchema)
def patrol_report(args):
    """巡查上报: my own finding, accepted at once in my cell."""
    verdict = checked_text(args["description"], "description")
    user = current_user()
    ticket = ops.create_patrol_report(user, args["category_id"], args["description"],
                                      args["lat"], args["lng"], args["address"],
                                      args["photo_ids"], text_status=verdict)
    alerts.alert_urgent(ticket)
    return presenters.task_view(ticket, user)


# --- settings --------------------------------------------------------------------------

@blp.route("/departments", methods=["GET"])
@login_required(*STAFF)
@blp.response(200, DepartmentSchema(many=True))
def departments():
    """Departments tickets can be dispatched to."""
    return db.session.execute(sa.select(Department).where(Department.is_active.is_(True))
                              .order_by(Department.id)).scalars().all()


@blp.route("/communities/<int:place_id>/ticket-settings", methods=["GET"])
@login_required(*STAFF)
@blp.response(200, CommunitySettingsSchema)
def get_settings(place_id):
    """A community's ticket settings: auto-dispatch, and the limits of the case loop."""
    place = _community(place_id)
    return {"place_id": place.id, **case_settings.for_place_code(place.code)}


@blp.route("/communities/<int:place_id>/ticket-settings", methods=["PUT"])
@login_required(*STAFF)
@blp.arguments(CommunitySettingsArgs)
@blp.response(200, CommunitySettingsSchema)
def put_settings(args, place_id):
    """Switch auto-dispatch on or off for a community and set the limits of its case loop
    (fields left out keep their value)."""
    place = _community(place_id)
    values = case_settings.update(place, args)
    return {"place_id": place.id, **values}


def _community(place_id: int) -> Place:
    place = db.session.get(Place, place_id) if is_id(place_id) else None
    if place is None or place.level != "community" or \
            not can_manage_place(current_user(), place):
        raise ApiError(404, "not_found")
    return place
