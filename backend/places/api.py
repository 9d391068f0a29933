from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_smorest import Blueprint

from backend.core.auth import login_required
from backend.core.errors import ApiError
from backend.core.fields import is_id
from backend.core.paging import first_page_total, keyset_page, page, page_schema
from backend.extensions import db
from backend.places import operations as ops
from backend.places.models import Place
from backend.places.schemas import (
    LocateArgs, LocateSchema, PlaceDetailSchema, PlaceListArgs, PlaceSchema, outside_message,
)

blp = Blueprint("places", __name__, url_prefix="/api/v1/places",
                description="The four-level grid and locating a point in it")


@blp.route("/locate", methods=["GET"])
@login_required()
@blp.arguments(LocateArgs, location="query")
@blp.response(200, LocateSchema)
def locate(args):
    """The deepest grid cell containing a GCJ-02 point, with its ancestors.

    A point outside every cell answers `found: false`: such a report goes to manual triage.
    """
    cell = ops.locate(args["lng"], args["lat"])
    if cell is None:
        return {"found": False, "message": outside_message(), "cell": None, "ancestors": []}
    return {"found": True, "cell": cell, "ancestors": ops.ancestors(cell)}


@blp.route("", methods=["GET"])
@login_required()
@blp.arguments(PlaceListArgs, location="query")
@blp.response(200, page_schema(PlaceSchema, "PlacePage"))
def list_places(args):
    """Places in code order, filtered by parent, level or code prefix; `total` on the
    first page."""
    query = sa.select(Place)
    if args.get("parent_id"):
        query = query.where(Place.parent_id == args["parent_id"])
    if args.get("level"):
        query = query.where(Place.level == args["level"])
    if args.get("code_prefix"):
        query = query.where(Place.code.startswith(args["code_prefix"], autoescape=True))
    rows, cursor = keyset_page(query, (Place.code,), ("str",), False, args.get("cursor"),
                               args["limit"])
    return page(rows, cursor, first_page_total(query, args.get("cursor")))


@blp.route("/<int:place_id>", methods=["GET"])
@login_required()
@blp.response(200, PlaceDetailSchema)
def get_place(place_id):
    """One place with its polygon (GeoJSON, GCJ-02)."""
    place = (db.session.get(Place, place_id, options=[so.undefer(Place.geometry)])
             if is_id(place_id) else None)
    if place is None:
        raise ApiError(404, "not_found")
    return place
