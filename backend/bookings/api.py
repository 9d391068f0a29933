"""Service windows API (延时预约服务): residents book, staff run the counter, admins keep
the catalogue. Views are thin: parse, check permission, call an operation, dump."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from backend.accounts.models import Role
from backend.bookings import availability as availability_ops
from backend.bookings import catalogue as catalogue_ops
from backend.bookings import centres as centre_ops
from backend.bookings import desk as desk_ops
from backend.bookings import limits as limit_ops
from backend.bookings import reservations as reservation_ops
from backend.bookings import points as point_ops
from backend.bookings import presenters
from backend.bookings.schemas import (
    BookingCheckInArgs, BookingCreateArgs, BookingPageSchema, BookingResidentSchema,
    BookingStaffSchema, BookingStatusSchema, CancelArgs, CentreAdminSchema, CentreArgs,
    CentreDetailSchema, CentreListArgs, CentrePatchArgs, ClosureArgs,
    ClosureListArgs, ClosureSchema, CounterArgs, CounterPatchArgs, CounterSchema, DayArgs,
    DayListSchema, ItemArgs, ItemListArgs, ItemPatchArgs, MyBookingsArgs, OpeningRuleArgs,
    OpeningRuleSchema, PauseSchema, PointAdminSchema, PointSchema, RescheduleArgs, ServiceItemAdminSchema,
    ServiceItemSchema, SlotArgs, SlotsSchema, StaffBookingArgs,
)
from backend.accounts.permissions import is_staff
from backend.bookings import permissions
from backend.core.auth import current_user, login_required
from backend.core.errors import ApiError, field_error
from backend.core.idempotency import idempotent
from backend.core.paging import page
from backend.core.schemas import audience_views, shared

blp = Blueprint("bookings", __name__, url_prefix="/api/v1",
                description="Service windows (延时预约服务): items, centres, slots, bookings")

STAFF = (Role.staff.value, Role.admin.value)
RESIDENT = Role.resident.value


def _centre(centre_id: int):
    """A centre the current staff member manages (404 otherwise)."""
    return centre_ops.managed_centre(current_user(), centre_id)


def _staff_booking(booking_id: int):
    user = current_user()
    booking = reservation_ops.visible_booking(user, booking_id)
    if not permissions.can_manage_booking(user, booking):
        raise ApiError(403, "forbidden")
    return booking


def _booking_answer(booking, status: int = 200):
    """The booking as the caller may see it: staff of its centre, or its resident."""
    user = current_user()
    if permissions.can_manage_booking(user, booking):
        body = shared(BookingStaffSchema).dump(presenters.staff_view(booking))
    else:
        body = shared(BookingResidentSchema).dump(presenters.resident_view(booking))
    response = jsonify(body)
    response.status_code = status
    return response


# --- the catalogue ---------------------------------------------------------------------

@blp.route("/service-items", methods=["GET"])
@login_required()
@blp.arguments(ItemListArgs, location="query")
@blp.response(200, audience_views(ServiceItemAdminSchema, ServiceItemSchema, many=True),
              description="Staff get ServiceItemAdmin.")
def items(args):
    """Service items with the materials to bring (`centre_id`: those a centre handles)."""
    user = current_user()
    staff = is_staff(user)
    rows = catalogue_ops.list_items(args.get("centre_id"), args["include_inactive"] and staff)
    schema = shared(ServiceItemAdminSchema, many=True) if staff else shared(ServiceItemSchema, many=True)
    return jsonify(schema.dump(rows))


@blp.route("/service-items/<int:item_id>", methods=["GET"])
@login_required()
@blp.response(200, audience_views(ServiceItemAdminSchema, ServiceItemSchema),
              description="Staff get ServiceItemAdmin.")
def item(item_id):
    """One service item."""
    user = current_user()
    staff = is_staff(user)
    row = catalogue_ops.get_item(item_id, active_only=not staff)
    return jsonify((shared(ServiceItemAdminSchema) if staff else shared(ServiceItemSchema)).dump(row))


@blp.route("/service-items", methods=["POST"])
@login_required(Role.admin.value)
@blp.arguments(ItemArgs)
@blp.response(201, ServiceItemAdminSchema)
def create_item(args):
    """Add a service item to the catalogue (admins)."""
    if not permissions.can_manage_service_items(current_user()):
        raise ApiError(403, "forbidden")
    return catalogue_ops.create_item(args)


@blp.route("/service-items/<int:item_id>", methods=["PATCH"])
@login_required(Role.admin.value)
@blp.arguments(ItemPatchArgs)
@blp.response(200, ServiceItemAdminSchema)
def update_item(args, item_id):
    """Change or deactivate (`is_active: false`) a service item (admins)."""
    if not permissions.can_manage_service_items(current_user()):
        raise ApiError(403, "forbidden")
    return catalogue_ops.update_item(catalogue_ops.get_item(item_id, active_only=False), args)


# --- centres ---------------------------------------------------------------------------

@blp.route("/service-centres", methods=["GET"])
@login_required()
@blp.arguments(CentreListArgs, location="query")
@blp.response(200, audience_views(PointAdminSchema, PointSchema, many=True),
              description="Staff asking for `include_inactive` get PointAdmin.")
def centres(args):
    """Service points (服务中心, 连心驿站, 居民之家) with today's hours: `place_id` those of
    a community, `item_id` those handling an item; nearest first with `lat` and `lng`.
    Staff with `include_inactive`: every point of their area, deactivated ones too."""
    user = current_user()
    where = (args.get("item_id"), args.get("place_id"), args.get("lat"), args.get("lng"))
    if args["include_inactive"] and is_staff(user):
        rows = point_ops.list_points(
            *where, include_inactive=True,
            keep=lambda point: permissions.can_manage_centre(user, point))
        return jsonify(shared(PointAdminSchema, many=True).dump(rows))
    return jsonify(shared(PointSchema, many=True).dump(point_ops.list_points(*where)))


@blp.route("/service-centres/<int:centre_id>", methods=["GET"])
@login_required()
@blp.response(200, CentreDetailSchema)
def centre(centre_id):
    """A centre with its opening hours and the items it handles."""
    return presenters.centre_detail(centre_ops.get_centre(centre_id))


@blp.route("/service-centres", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(CentreArgs)
@blp.response(201, CentreAdminSchema)
def create_centre(args):
    """Open the service centre of a community in my area."""
    return centre_ops.create_centre(current_user(), args)


@blp.route("/service-centres/<int:centre_id>", methods=["PATCH"])
@login_required(*STAFF)
@blp.arguments(CentrePatchArgs)
@blp.response(200, CentreAdminSchema)
def update_centre(args, centre_id):
    """Change or deactivate a centre."""
    return centre_ops.update_centre(_centre(centre_id), args)


@blp.route("/service-centres/<int:centre_id>/slots", methods=["GET"])
@login_required()
@blp.arguments(SlotArgs, location="query")
@blp.response(200, SlotsSchema)
def free_slots(args, centre_id):
    """Free slots of an item, day by day (Shanghai), minus closures, holidays and full
    slots, from the minimum notice to the maximum advance."""
    centre_row = centre_ops.get_centre(centre_id)
    item_row = catalogue_ops.get_item(args["item"], field="item")
    return availability_ops.free_slots(centre_row, item_row, args.get("date_from"),
                                       args.get("date_to"))


# --- counters, opening rules, closures (staff of the centre) ---------------------------

@blp.route("/service-centres/<int:centre_id>/counters", methods=["GET"])
@login_required(*STAFF)
@blp.response(200, CounterSchema(many=True))
def counters(centre_id):
    """The centre's counters and the items each serves."""
    return _centre(centre_id).counters


@blp.route("/service-centres/<int:centre_id>/counters", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(CounterArgs)
@blp.response(201, CounterSchema)
def create_counter(args, centre_id):
    """Add a counter serving `item_ids`."""
    return centre_ops.create_counter(_centre(centre_id), args)


@blp.route("/service-centres/<int:centre_id>/counters/<int:counter_id>", methods=["PATCH"])
@login_required(*STAFF)
@blp.arguments(CounterPatchArgs)
@blp.response(200, CounterSchema)
def update_counter(args, centre_id, counter_id):
    """Rename, change the items of, or deactivate (`is_active: false`) a counter."""
    return centre_ops.update_counter(_centre(centre_id), counter_id, args)


@blp.route("/service-centres/<int:centre_id>/opening-rules", methods=["GET"])
@login_required(*STAFF)
@blp.response(200, OpeningRuleSchema(many=True))
def rules(centre_id):
    """Opening rules in force (weekday, start, end, regular or extended)."""
    return centre_ops.list_rules(_centre(centre_id))


@blp.route("/service-centres/<int:centre_id>/opening-rules", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(OpeningRuleArgs)
@blp.response(201, OpeningRuleSchema)
def create_rule(args, centre_id):
    """Add opening hours for a weekday; overlapping hours are refused."""
    return centre_ops.create_rule(_centre(centre_id), args)


@blp.route("/service-centres/<int:centre_id>/opening-rules/<int:rule_id>/deactivate",
           methods=["POST"])
@login_required(*STAFF)
@blp.response(200, OpeningRuleSchema)
def deactivate_rule(centre_id, rule_id):
    """Stop offering slots from a rule (existing bookings stay)."""
    return centre_ops.deactivate_rule(_centre(centre_id), rule_id)


@blp.route("/service-centres/<int:centre_id>/closures", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(ClosureListArgs, location="query")
@blp.response(200, ClosureSchema(many=True))
def closures(args, centre_id):
    """Days the centre is closed."""
    return centre_ops.list_closures(_centre(centre_id), args.get("date_from"), args.get("date_to"))


@blp.route("/service-centres/<int:centre_id>/closures", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(ClosureArgs)
@blp.response(201, ClosureSchema)
def create_closure(args, centre_id):
    """Close a day. If it has bookings: 409, unless `cancel_bookings` (residents are told)."""
    closure, cancelled = centre_ops.create_closure(current_user(), _centre(centre_id), args)
    return {"id": closure.id, "centre_id": closure.centre_id, "day": closure.day,
            "reason": closure.reason, "created_at": closure.created_at,
            "cancelled_bookings": cancelled}


@blp.route("/service-centres/<int:centre_id>/closures/<int:closure_id>", methods=["DELETE"])
@login_required(*STAFF)
@blp.response(204)
def delete_closure(centre_id, closure_id):
    """Open a closed day again."""
    centre_ops.delete_closure(_centre(centre_id), closure_id)


# --- the counter's day -----------------------------------------------------------------

@blp.route("/service-centres/<int:centre_id>/day", methods=["GET"])
@login_required(*STAFF)
@blp.arguments(DayArgs, location="query")
@blp.response(200, DayListSchema)
def day(args, centre_id):
    """The day list of the centre, or of one counter (`counter_id`), in time order."""
    data = desk_ops.day_list(_centre(centre_id), args.get("date"), args.get("counter_id"),
                             args["include_cancelled"])
    data["bookings"] = [presenters.staff_view(b) for b in data["bookings"]]
    return data


@blp.route("/service-centres/<int:centre_id>/check-in", methods=["POST"])
@login_required(*STAFF)
@blp.arguments(BookingCheckInArgs)
@blp.response(200, BookingStaffSchema)
def check_in(args, centre_id):
    """签到 by the booking code (only a code of this centre, on its day)."""
    booking = desk_ops.check_in(current_user(), _centre(centre_id), args["code"],
                                args.get("counter_id"))
    return presenters.staff_view(booking)


@blp.route("/service-centres/<int:centre_id>/bookings", methods=["POST"])
@login_required(*STAFF)
@idempotent
@blp.arguments(StaffBookingArgs)
@blp.response(201, BookingStaffSchema)
def book_on_behalf(args, centre_id):
    """Book for a resident who phones or walks in: `resident_id`, or `phone` (with `name`
    when nobody has an account with that phone)."""
    booking = reservation_ops.book_on_behalf(current_user(), _centre(centre_id), args)
    return presenters.staff_view(booking)


# --- residents -------------------------------------------------------------------------

@blp.route("/bookings", methods=["POST"])
@login_required(RESIDENT)
@idempotent
@blp.arguments(BookingCreateArgs)
@blp.response(201, BookingResidentSchema)
def create_booking(args):
    """Book a free slot (send an `Idempotency-Key`: a retry returns the first answer)."""
    point_id = args.get("point_id") or args.get("centre_id")
    if point_id is None:
        raise field_error("point_id", "point_id_or_centre_id")
    try:
        booking = reservation_ops.book(current_user(), point_id, args["item_id"],
                                       args["start_at"])
    except ApiError as exc:
        if "point_id" in args and exc.fields and "centre_id" in exc.fields:
            exc.fields["point_id"] = exc.fields.pop("centre_id")  # the field the client sent
        raise
    return presenters.resident_view(booking)


@blp.route("/me/bookings", methods=["GET"])
@login_required(RESIDENT)
@blp.arguments(MyBookingsArgs, location="query")
@blp.response(200, BookingPageSchema)
def my_bookings(args):
    """My bookings with their codes: upcoming (soonest first) or past (latest first)."""
    rows, cursor = reservation_ops.my_bookings(current_user(), args["scope"], args["limit"],
                                               args.get("cursor"))
    return page([presenters.resident_view(b) for b in rows], cursor)


@blp.route("/me/booking-status", methods=["GET"])
@login_required(RESIDENT)
@blp.response(200, BookingStatusSchema)
def my_booking_status():
    """How many open bookings I have and may have; whether online booking is paused,
    why and until when."""
    return limit_ops.booking_status(current_user())


@blp.route("/bookings/<int:booking_id>", methods=["GET"])
@login_required(RESIDENT, *STAFF)
@blp.response(200, audience_views(BookingStaffSchema, BookingResidentSchema), description=(
    "Staff of the booking's centre get BookingStaff; its resident BookingResident."))
def get_booking(booking_id):
    """One booking."""
    return _booking_answer(reservation_ops.visible_booking(current_user(), booking_id))


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required(RESIDENT, *STAFF)
@blp.arguments(CancelArgs)
@blp.response(200, audience_views(BookingStaffSchema, BookingResidentSchema),
              description="Staff get BookingStaff.")
def cancel(args, booking_id):
    """Cancel: the resident until the cut-off before the start; staff of the centre any
    time before it (the resident is told)."""
    booking = reservation_ops.visible_booking(current_user(), booking_id)
    reservation_ops.cancel(current_user(), booking, args["reason"])
    return _booking_answer(booking)


@blp.route("/bookings/<int:booking_id>/reschedule", methods=["POST"])
@login_required(RESIDENT, *STAFF)
@blp.arguments(RescheduleArgs)
@blp.response(200, audience_views(BookingStaffSchema, BookingResidentSchema),
              description="Staff get BookingStaff.")
def reschedule(args, booking_id):
    """Move to another slot of the same item, atomically: if the new slot is full the
    booking stays where it was."""
    booking = reservation_ops.visible_booking(current_user(), booking_id)
    reservation_ops.reschedule(current_user(), booking, args["start_at"])
    return _booking_answer(booking)


# --- staff: outcomes -------------------------------------------------------------------

@blp.route("/bookings/<int:booking_id>/complete", methods=["POST"])
@login_required(*STAFF)
@blp.response(200, BookingStaffSchema)
def complete(booking_id):
    """办结: the resident's business is done (checked in or not)."""
    booking = _staff_booking(booking_id)
    return presenters.staff_view(desk_ops.complete(current_user(), booking))


@blp.route("/bookings/<int:booking_id>/no-show", methods=["POST"])
@login_required(*STAFF)
@blp.response(200, BookingStaffSchema)
def no_show(booking_id):
    """未到 (after the start). Repeated no-shows pause the resident's online booking."""
    booking = _staff_booking(booking_id)
    return presenters.staff_view(desk_ops.no_show(current_user(), booking))


@blp.route("/residents/<int:user_id>/booking-pause/lift", methods=["POST"])
@login_required(Role.admin.value)
@blp.response(200, PauseSchema)
def lift_pause(user_id):
    """End a resident's no-show pause early (admins)."""
    if not permissions.can_lift_booking_pause(current_user()):
        raise ApiError(403, "forbidden")
    return limit_ops.lift_pause(current_user(), user_id)
