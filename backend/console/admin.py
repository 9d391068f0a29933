"""Admin pages: categories and their deadlines, the places import, staff accounts (new
ones, disabling and enabling them and grid workers' accounts, resetting a password).
Who may open each is a rule of ``accounts.permissions`` (``bookings.permissions`` for
the service items)."""
from __future__ import annotations

import json
from collections import Counter

import marshmallow as ma
from marshmallow import validate
import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.accounts import operations as accounts
from backend.accounts.models import Role, User
from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import operations as console_ops
from backend.console import prg
from backend.console.blueprint import allowed_or_403, bp, staff_required
from backend.accounts.permissions import (
    PASSWORD_ROLES, SWITCHABLE_ROLES, can_import_places, can_manage_staff, can_reset_password,
    can_switch_account, is_admin,
)
from backend.bookings import permissions
from backend.core.errors import ApiError
from backend.core.fields import is_id
from backend.extensions import db
from backend.places import operations as places_ops
from backend.places.models import Place, PlaceLevel
from backend.places.operations import FeatureProblem
from backend.tickets.models import Category


def _field_messages(exc: ApiError) -> dict:
    """Field name → its messages (what the page shows next to each field)."""
    return {name: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in (exc.fields or {}).items()}


def _typed(names) -> dict:
    """What was typed in these fields of the form, to put back in the inputs."""
    return {k: request.form.get(k, "")[:1000] for k in names if k in request.form}

# --- categories and deadlines --------------------------------------------------------


CATEGORY_FIELDS = ("accept_hours", "resolve_hours", "deadline_mode", "is_private",
                   "requires_after_photo", "is_urgent")


def _categories_page(error: str | None = None, status: int = 200,
                     failed: dict | None = None):
    """``failed``: the row whose save was refused (``category_id``, ``fields``,
    ``values``), shown with its field errors and what was typed."""
    return render_template("console/admin_categories.html",
                           groups=lookups.grouped_categories(), error=error,
                           failed=failed or {}), status


@bp.route("/admin/categories", methods=["GET"])
@staff_required
def admin_categories():
    allowed_or_403(is_admin(g.console_user))
    kept = prg.kept()  # a save refused a moment ago: its message, errors and values
    if kept is not None:
        return _categories_page(kept["message"], failed={
            "category_id": kept["extra"].get("category_id"), "fields": kept["fields"],
            "values": kept["values"]})
    return _categories_page()


@bp.route("/admin/categories/<int:category_id>", methods=["POST"])
@staff_required
def admin_category_update(category_id: int):
    user = g.console_user
    allowed_or_403(is_admin(user))
    category = db.session.get(Category, category_id) if is_id(category_id) else None
    if category is None:
        raise ApiError(404, "not_found")
    try:
        args = forms.parse(forms.CategoryForm(), request.form)
        console_ops.update_category(user, category, args["accept_hours"],
                                    args["resolve_hours"], args["deadline_mode"],
                                    args["is_private"], args["is_urgent"])
        console_ops.set_requires_after_photo(user, category, args["requires_after_photo"])
    except ApiError as exc:
        db.session.rollback()
        message = _("%(name)s：%(error)s", name=category.name, error=fmt.api_error_message(exc))
        failed = {"category_id": category.id, "fields": _field_messages(exc),
                  "values": _typed(CATEGORY_FIELDS)}
        return prg.failed(url_for("console.admin_categories") + f"#category-{category.id}",
                          message, exc.status, fields=failed["fields"],
                          values=failed["values"], extra={"category_id": category.id}) or \
            _categories_page(message, exc.status, failed)
    flash(_("已保存“%(name)s”的期限设置（只影响之后上报的事件）。", name=category.name), "ok")
    return redirect(url_for("console.admin_categories") + f"#category-{category.id}", 303)


# --- places import -------------------------------------------------------------------

def _level_counts() -> list[tuple[str, int]]:
    counts = Counter(dict(db.session.execute(
        sa.select(Place.level, sa.func.count()).group_by(Place.level)).all()))
    return [(fmt.LEVEL_LABELS[level], counts.get(level.value, 0)) for level in PlaceLevel]


def _places_page(problems=None, error: str | None = None, status: int = 200,
                 crs: str = "gcj02"):
    return render_template("console/admin_places.html", problems=problems or [],
                           error=error, levels=_level_counts(), crs=crs), status


@bp.route("/admin/places", methods=["GET"])
@staff_required
def admin_places():
    allowed_or_403(can_import_places(g.console_user))
    kept = prg.kept()  # an import refused a moment ago: why, and the problems found
    if kept is not None:
        problems = [FeatureProblem(p["index"], p["code"], p["message"])
                    for p in kept["extra"].get("problems", [])]
        return _places_page(problems, kept["message"], crs=kept["values"].get("crs", "gcj02"))
    return _places_page()


def _import_refused(error: str, crs: str, problems=()):
    """Back to the import page (303) with why and the problems found, shown once. The
    file cannot be kept: the message asks for it again. In place when the problems do
    not fit in the session."""
    db.session.rollback()
    if request.files.get("file") is not None and request.files["file"].filename:
        error += _("请重新选择文件。")
    kept_crs = crs if crs in ("gcj02", "wgs84") else "gcj02"
    return prg.failed(url_for("console.admin_places"), error, 422, values={"crs": kept_crs},
                      extra={"problems": [{"index": p.index, "code": p.code,
                                           "message": p.message} for p in problems]}) or \
        _places_page(list(problems), error, 422, kept_crs)


@bp.route("/admin/places", methods=["POST"])
@staff_required
def admin_places_import():
    """A GeoJSON FeatureCollection: every feature is checked, then all are written, or
    none (the per-feature problems are listed)."""
    allowed_or_403(can_import_places(g.console_user))
    try:
        crs = forms.parse(forms.PlacesImportForm(), request.form)["crs"]
    except ApiError as exc:
        return _import_refused(fmt.api_error_message(exc), "gcj02")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_refused(_("请选择一个 GeoJSON 文件。"), crs)
    try:
        data = json.loads(upload.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return _import_refused(_("文件不是有效的 JSON（UTF-8）。"), crs)
    result = places_ops.import_features(data, crs=crs)
    if not result.ok:
        return _import_refused(_("发现 %(n)s 处问题，没有导入任何要素。", n=len(result.problems)), crs,
                               result.problems)
    flash(_("导入成功：新增 %(created)s 个、更新 %(updated)s 个地点（%(crs)s）。",
            created=result.created, updated=result.updated,
            crs=_("WGS-84 已转换为 GCJ-02") if crs == "wgs84" else "GCJ-02"), "ok")
    return redirect(url_for("console.admin_places"), 303)


# --- staff accounts ------------------------------------------------------------------

def _staff_page(error: str | None = None, status: int = 200, form: dict | None = None,
                reset_error: tuple[int, str] | None = None, errors: dict | None = None):
    user = g.console_user
    rows = db.session.execute(
        sa.select(User).where(User.role.in_([Role.staff.value, Role.admin.value]))
        .order_by(User.id)).scalars().all()
    scopes = lookups.place_options(lookups.places_in_scope(
        user, ("district", "street", "community")))
    return render_template("console/admin_staff.html", rows=rows, scopes=scopes,
                           error=error, form=form or {}, reset_error=reset_error,
                           errors=errors or {},
                           switchable={r.id for r in rows if can_switch_account(user, r)},
                           resettable={r.id for r in rows if can_reset_password(user, r)}), \
        status


@bp.route("/admin/staff", methods=["GET"])
@staff_required
def admin_staff():
    allowed_or_403(can_manage_staff(g.console_user))
    kept = prg.kept()  # a creation or a reset refused a moment ago
    if kept is None:
        return _staff_page()
    reset_id = kept["extra"].get("reset_user_id")
    if reset_id is not None:
        return _staff_page(reset_error=(reset_id, kept["message"]))
    return _staff_page(kept["message"], form=kept["values"], errors=kept["fields"])


STAFF_FIELDS = ("username", "display_name", "role", "scope_place_id")  # never the password


@bp.route("/admin/staff", methods=["POST"])
@staff_required
def admin_staff_create():
    user = g.console_user
    allowed_or_403(can_manage_staff(user))
    kept = _typed(STAFF_FIELDS)
    try:
        args = forms.parse(forms.StaffForm(), request.form)
        created = accounts.create_staff(user, args["username"], args["password"],
                                        args["display_name"], args["role"],
                                        args.get("scope_place_id"))
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc) if not exc.fields else _("请检查标出的内容。")
        return prg.failed(url_for("console.admin_staff") + "#new-account", message,
                          exc.status, fields=_field_messages(exc), values=kept) or \
            _staff_page(message, exc.status, kept, errors=_field_messages(exc))
    flash(_("已创建账号 %(username)s（%(name)s）。", username=created.username, name=created.display_name), "ok")
    return redirect(url_for("console.admin_staff"), 303)


# --- disabling an account, resetting a password -----------------------------------------

class PasswordResetForm(forms.FormSchema):
    """Empty: a password is generated and shown once."""

    password = ma.fields.String(validate=validate.Length(max=200))


def _account_back(target: User) -> str:
    """Where the account's row is: grid workers on the workers page, the rest here."""
    if target.role == Role.grid_worker.value:
        return url_for("console.workers") + f"#worker-{target.id}"
    return url_for("console.admin_staff") + f"#account-{target.id}"


@bp.route("/admin/accounts/<int:user_id>/<any(disable, enable):action>", methods=["POST"])
@staff_required
def admin_account_switch(user_id: int, action: str):
    """停用 (every session and token of the account ends) or 启用 an account of a grid
    worker, a staff member or an admin; never one's own."""
    user = g.console_user
    allowed_or_403(is_admin(user))
    if not is_id(user_id):
        raise ApiError(404, "not_found")
    target = accounts.account_to_manage(user_id, SWITCHABLE_ROLES)
    name = target.display_name or target.username or f"#{target.id}"
    try:
        accounts.set_active(user, target, action == "enable")
    except ApiError as exc:
        db.session.rollback()
        failure = _("未能停用账号 %(name)s：%(error)s") if action == "disable" \
            else _("未能启用账号 %(name)s：%(error)s")
        flash(failure % {"name": name, "error": fmt.api_error_message(exc)}, "error")
        return redirect(_account_back(target), 303)
    flash(_("已停用账号 %(name)s：其登录和会话已全部失效。", name=name) if action == "disable"
          else _("已启用账号 %(name)s，需重新登录。", name=name), "ok")
    return redirect(_account_back(target), 303)


def _password_target(user_id: int) -> User:
    allowed_or_403(can_manage_staff(g.console_user))
    if not is_id(user_id):
        raise ApiError(404, "not_found")
    return accounts.account_to_manage(user_id, PASSWORD_ROLES)


@bp.route("/admin/staff/<int:user_id>/password", methods=["POST"])
@staff_required
def admin_password_reset(user_id: int):
    """A new password for a staff or admin account: the one typed, or a generated one,
    shown once on the page this redirects to. The account's sessions end. Refused: back
    to the account's row with the message next to the password (never kept: a password
    is not put in the session cookie)."""
    user = g.console_user
    target = _password_target(user_id)
    try:
        args = forms.parse(PasswordResetForm(), request.form)
        target, generated = accounts.reset_password(user, target, args.get("password"))
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc)
        return prg.failed(_account_back(target), message, exc.status,
                          extra={"reset_user_id": target.id}) or \
            _staff_page(status=exc.status, reset_error=(target.id, message))
    if generated is None:
        flash(_("已为 %(username)s 设置新密码，其原有登录已失效。", username=target.username), "ok")
        return redirect(_account_back(target), 303)
    # shown once by the GET page: a reload shows it no more and resets nothing again
    return prg.show_once(url_for("console.admin_password_shown", user_id=target.id),
                         {"user_id": target.id, "password": generated})


@bp.route("/admin/staff/<int:user_id>/password", methods=["GET"])
@staff_required
def admin_password_shown(user_id: int):
    """The generated password, on the first display after the reset only; afterwards
    (a reload, the history) the page says it can no longer be seen."""
    target = _password_target(user_id)
    secret = prg.secret_once()
    password = secret["password"] if secret and secret.get("user_id") == target.id else None
    return render_template("console/admin_password.html", target=target, password=password)


# --- service items (the catalogue every centre shares) ---------------------------------

ITEM_FIELDS = ("code", "name", "department", "materials", "notes", "duration_minutes",
               "bookable_online", "is_active", "name_en", "materials_en", "notes_en")


def _items_page(error: str | None = None, status: int = 200, form: dict | None = None,
                errors: dict | None = None, item_id: int | None = None):
    """``form`` and ``errors``: what was typed and what was wrong in the form of
    ``item_id`` (None: the new item's form)."""
    from backend.bookings import catalogue as catalogue_ops

    return render_template("console/admin_service_items.html",
                           items=catalogue_ops.list_items(include_inactive=True), error=error,
                           form=form or {}, errors=errors or {}, failed_item=item_id), status


@bp.route("/admin/service-items", methods=["GET"])
@staff_required
def admin_service_items():
    allowed_or_403(permissions.can_manage_service_items(g.console_user))
    kept = prg.kept()  # a save refused a moment ago: its message, errors and values
    if kept is not None:
        return _items_page(kept["message"], form=kept["values"], errors=kept["fields"],
                           item_id=kept["extra"].get("item_id"))
    return _items_page()


@bp.route("/admin/service-items", methods=["POST"])
@bp.route("/admin/service-items/<int:item_id>", methods=["POST"])
@staff_required
def admin_service_item_save(item_id: int | None = None):
    from backend.bookings import catalogue as catalogue_ops

    allowed_or_403(permissions.can_manage_service_items(g.console_user))
    item = catalogue_ops.get_item(item_id, active_only=False) if item_id else None
    try:
        schema = forms.ServiceItemEditForm() if item else forms.ServiceItemForm()
        args = forms.parse(schema, request.form)
        args["materials"] = forms.materials(args["materials"])
        args["materials_en"] = forms.materials(args["materials_en"], "materials_en")
        if item is None:
            item = catalogue_ops.create_item(args)
        else:
            catalogue_ops.update_item(item, args)
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc) if not exc.fields else _("请检查标出的内容。")
        typed, fields = _typed(ITEM_FIELDS), _field_messages(exc)
        anchor = f"#item-{item_id}" if item_id else "#form-item"
        return prg.failed(url_for("console.admin_service_items") + anchor, message,
                          exc.status, fields=fields, values=typed,
                          extra={"item_id": item_id}) or \
            _items_page(message, exc.status, typed, fields, item_id)
    flash(_("已保存事项“%(name)s”。", name=item.name), "ok")
    return redirect(url_for("console.admin_service_items") + f"#item-{item.id}", 303)
