"""Grid workers: the list, a new record with its cells (chosen from a tree: each community
with its grid cells under it), and a one-time binding code shown once. Staff manage the
workers of their own area (``permissions.can_manage_worker``); admins also disable and
enable a worker's account here (``console.admin``)."""
from __future__ import annotations

from datetime import datetime

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.accounts import operations as accounts
from backend.accounts.models import Role, User
from backend.console import forms, lookups
from backend.console import format as fmt
from backend.console import prg
from backend.console.blueprint import bp, staff_required
from backend.accounts import permissions
from backend.core.errors import ApiError
from backend.core.fields import is_id
from backend.extensions import db
from backend.tickets import operations as ticket_ops

CELL_LEVELS = ("grid2", "grid3", "grid4")


def cell_tree(user) -> list[dict]:
    """The cells this user may give a worker, as a tree: each community of their area
    with its L2 cells, the L3 cells under those and so on (``{"place", "level",
    "children"}``, by code). A community is a heading, not a choice."""
    places = lookups.places_in_scope(user, ("community",) + CELL_LEVELS)
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for place in places:  # by code: a parent comes before its children
        node = {"place": place, "level": fmt.level_name(place.level),
                "children": []}
        nodes[place.id] = node
        parent = nodes.get(place.parent_id)
        (parent["children"] if parent else roots).append(node)
    # staff manage a district, street or community, so every cell's community is among
    # the places read: the roots are communities; one without cells offers nothing
    return [r for r in roots if r["children"]]


def _workers_page(error: str | None = None, status: int = 200, form: dict | None = None,
                  errors: dict | None = None):
    user = g.console_user
    workers = lookups.workers_in_scope(user)
    counts = ticket_ops.open_task_counts([w.id for w in workers]) if workers else {}
    return render_template("console/workers.html", workers=workers, counts=counts,
                           tree=cell_tree(user), error=error, form=form or {},
                           errors=errors or {},
                           switchable={w.id for w in workers
                                       if permissions.can_switch_account(user, w)}), status


@bp.route("/workers", methods=["GET"])
@staff_required
def workers():
    kept = prg.kept()  # a new worker refused a moment ago: why, and what was typed
    if kept is not None:
        return _workers_page(kept["message"], errors=kept["fields"],
                             form=dict(kept["values"], cell_ids=kept["extra"].get("cell_ids", [])))
    return _workers_page()


@bp.route("/workers", methods=["POST"])
@staff_required
def worker_create():
    user = g.console_user
    typed = {"display_name": request.form.get("display_name", "")[:200],
             "phone": request.form.get("phone", "")[:100]}
    cells = [c[:20] for c in request.form.getlist("cell_ids")[:200]]
    try:
        args = forms.parse(forms.WorkerForm(), request.form)
        worker = accounts.create_worker(user, args["display_name"], args["cell_ids"],
                                        phone=args.get("phone"))
    except ApiError as exc:
        db.session.rollback()
        message = fmt.api_error_message(exc) if not exc.fields else _("请检查标出的内容。")
        fields = {name: [str(m) for m in (ms if isinstance(ms, list) else [ms])]
                  for name, ms in (exc.fields or {}).items()}
        return prg.failed(url_for("console.workers") + "#add-worker", message, exc.status,
                          fields=fields, values=typed, extra={"cell_ids": cells}) or \
            _workers_page(message, exc.status, dict(typed, cell_ids=cells), fields)
    flash(_("已添加网格员 %(name)s。请为其生成绑定码，让其在小程序中绑定微信。", name=worker.display_name), "ok")
    return redirect(url_for("console.workers") + f"#worker-{worker.id}", 303)


def _worker_to_manage(worker_id: int) -> User:
    worker = db.session.get(User, worker_id) if is_id(worker_id) else None
    if worker is None or worker.role != Role.grid_worker.value \
            or not permissions.can_manage_worker(g.console_user, worker):
        raise ApiError(404, "not_found")
    return worker


@bp.route("/workers/<int:worker_id>/binding-code", methods=["POST"])
@staff_required
def worker_binding_code(worker_id: int):
    """A new code (the one before it is void), shown once by the page this redirects to:
    it is stored hashed, never shown again, and a reload issues no other."""
    worker = _worker_to_manage(worker_id)
    code, binding = accounts.issue_binding_code(g.console_user, worker)
    return prg.show_once(url_for("console.worker_code", worker_id=worker.id),
                         {"worker_id": worker.id, "code": code,
                          "expires_at": binding.expires_at.isoformat()})


@bp.route("/workers/<int:worker_id>/binding-code", methods=["GET"])
@staff_required
def worker_code(worker_id: int):
    """The binding code just issued, on its first display only; afterwards (a reload,
    the history) the page says it can no longer be seen."""
    worker = _worker_to_manage(worker_id)
    secret = prg.secret_once()
    if not secret or secret.get("worker_id") != worker.id:
        return render_template("console/worker_code.html", worker=worker, code=None,
                               expires_at=None)
    return render_template("console/worker_code.html", worker=worker, code=secret["code"],
                           expires_at=datetime.fromisoformat(secret["expires_at"]))
