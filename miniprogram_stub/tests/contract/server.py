"""A live Linli API for the mini-program's contract test (api.contract.test.js).

Started by that test: the real Flask app on 127.0.0.1 with a fresh SQLite database, the fake
WeChat server of the Python tests (so wx.login codes are exchanged over real HTTP), and the
two-community world of the ticket tests, with a service centre (the booking tests' hours); community A's id for volunteer teams. Prints one JSON line with what the test needs, then
serves until its standard input is closed.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, ROOT)
os.chdir(ROOT)
WORK = tempfile.mkdtemp(prefix="linli-contract-")
os.environ["LINLI_INSTANCE_PATH"] = WORK

import flask_migrate  # noqa: E402
from PIL import Image  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from backend.extensions import db  # noqa: E402
from tests import bookings_world, tickets_world  # noqa: E402
from tests.conftest import make_test_app  # noqa: E402
from tests.fakes.wechat_server import FakeWeChatServer  # noqa: E402


def control_app(fake):
    """GET /code?openid=… → {"code"}: what wx.login gives that phone; GET
    /phone-code?phone=… → {"code"}: what the getPhoneNumber button gives."""

    @Request.application
    def app(request):
        if request.path == "/phone-code":
            code = fake.issue_phone_code(request.args["phone"])
            return Response(json.dumps({"code": code}), content_type="application/json")
        if request.path != "/code":
            return Response("not found", status=404)
        code = fake.issue_code(request.args["openid"])
        return Response(json.dumps({"code": code}), content_type="application/json")

    return app


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    wechat = FakeWeChatServer().start()
    app = make_test_app(f"sqlite:///{WORK}/contract.db", {}, wechat.base_url,
                        LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        flask_migrate.upgrade()
        world = tickets_world.build_world()
        # 李师傅 is not bound to WeChat yet: the mini-program binds him with staff's code
        world.worker_a.openid = None
        lat, lng = tickets_world.IN_A3
        # a service centre in community A, with the hours of the booking tests
        items = {"SB": bookings_world.item("SB01", "城乡居民基本养老保险参保登记", 30),
                 "LN": bookings_world.item("LN01", "老年人优待证", 15),
                 "HJ": bookings_world.item("HJ02", "居住证明", 20),
                 "OFF": bookings_world.item("MZ04", "特困人员救助供养申请", 30, online=False)}
        centre, _ = bookings_world.centre_with_hours(world.places["a"], items, "晋阳社区党群服务中心")
        db.session.commit()
        info = {
            "category_id": world.cats["楼道灯损坏"].id,
            "patrol_category_id": world.cats["垃圾堆放"].id,
            "lat": lat,
            "lng": lng,
            "staff_token": world.tokens["staff_a"],
            "worker_id": world.worker_a.id,
            "service_item_id": items["SB"].id,
            "centre_id": centre.id,
            "place_id": world.places["a"].id,  # community A: its staff run volunteer teams
        }
    photo = os.path.join(WORK, "photo.jpg")
    Image.new("RGB", (64, 48), (200, 180, 40)).save(photo, "JPEG")
    api = serve(app)
    control = serve(control_app(wechat.fake))
    info.update(api=f"http://127.0.0.1:{api.server_port}",
                control=f"http://127.0.0.1:{control.server_port}", photo=photo)
    print(json.dumps(info), flush=True)
    sys.stdin.read()  # until the test ends
    api.shutdown()
    control.shutdown()
    wechat.stop()
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
