"""Service items a Chengdu community service centre handles, and a centre for a community
with its counters and opening hours (regular and after-hours). Used by the demo and by
new deployments. Creates what is missing; never changes what staff have edited."""
from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Optional

import sqlalchemy as sa

from backend.bookings.models import Counter, OpeningRule, ServiceCentre, ServiceItem
from backend.extensions import db

ID_CARD = "居民身份证原件"
HUKOU = "户口簿原件"
BANK = "本人银行卡或社会保障卡（用于待遇发放或缴费扣款）"
PHOTO = "近期免冠彩色证件照（白底，也可现场采集）"

# (code, name, name_en, department, minutes, online, materials, notes)
ITEMS = (
    ("SB01", "城乡居民基本养老保险参保登记", "Rural and urban residents' pension insurance enrolment",
     "武侯区社会保险事务中心", 30, True,
     [ID_CARD, HUKOU, "《城乡居民基本养老保险参保登记表》（可现场填写）", BANK],
     "年满16周岁（在校学生除外）、未参加城镇职工基本养老保险的本市户籍居民。"),
    ("SB02", "城乡居民基本医疗保险参保登记", "Residents' basic medical insurance enrolment",
     "武侯区医疗保障局", 15, True,
     [ID_CARD + "或户口簿", "《城乡居民基本医疗保险参保登记表》",
      "非本市户籍人员提供居住证", "新生儿提供出生医学证明"],
     "每年9月至12月集中参保缴费，次年享受待遇。"),
    ("SB03", "社会保障卡申领", "Social security card application",
     "武侯区人力资源和社会保障局", 15, True,
     [ID_CARD, PHOTO, "16周岁以下由监护人代办：户口簿及监护人身份证"],
     "即时制卡网点可当场领卡。"),
    ("SB04", "灵活就业人员社保登记", "Social insurance enrolment for flexible workers",
     "武侯区社会保险事务中心", 20, True,
     [ID_CARD, "《灵活就业人员参保登记表》", "本人银行卡（签订委托扣款协议）",
      "与原单位解除或终止劳动关系的证明（如有）"], ""),
    ("SB05", "城乡居民养老保险待遇领取申请", "Residents' pension benefit claim",
     "武侯区社会保险事务中心", 20, True,
     [ID_CARD, HUKOU, "社会保障卡", "《城乡居民基本养老保险待遇申领表》"],
     "年满60周岁、累计缴费满15年的参保人。"),
    ("YB01", "门诊特殊疾病认定申请", "Outpatient special disease certification (医保门特)",
     "武侯区医疗保障局", 20, True,
     [ID_CARD + "或社会保障卡", "二级及以上医疗机构出具的诊断证明及病历",
      "相关检查、检验报告", "《门诊特殊疾病认定申请表》"], ""),
    ("JY01", "就业失业登记", "Employment and unemployment registration",
     "武侯区就业服务管理局", 20, True,
     [ID_CARD, "户口簿或居住证", "《就业创业证》（已办理的带上）",
      "失业登记：与原单位解除或终止劳动关系的证明"], ""),
    ("JY02", "就业困难人员认定", "Recognition as a person with employment difficulty",
     "武侯区就业服务管理局", 20, True,
     [ID_CARD, "《就业创业证》", "相关证明材料（残疾人证、低保证等）",
      "《就业困难人员认定申请表》"], "须先办理失业登记。"),
    ("HJ01", "居住证办理", "Residence permit",
     "成都市公安局武侯区分局（社区警务室受理）", 20, True,
     [ID_CARD, PHOTO, "合法稳定住所证明（房屋租赁合同、房屋产权证明）或就业、就读证明",
      "居住登记满半年的记录"], "办理后约15个工作日到受理点领取。"),
    ("HJ02", "居住证明", "Certificate of residence",
     "晋阳社区居民委员会", 10, True,
     [ID_CARD, "房屋产权证明或租赁合同", "户籍居民另带户口簿"],
     "用于子女入学、办理各类证件等；注明用途。"),
    ("HJ03", "流动人口居住登记", "Residence registration of incoming residents",
     "成都市公安局武侯区分局（社区警务室受理）", 10, True,
     [ID_CARD, "住所证明（房屋租赁合同或房东证明）"], ""),
    ("LN01", "老年人优待证", "Senior citizen's preferential card",
     "武侯区民政局（老龄办）", 10, True,
     [ID_CARD, "近期1寸免冠彩色照片1张", "非本市户籍老人提供居住证"],
     "年满60周岁的本市户籍或持居住证老年人。"),
    ("LN02", "高龄津贴申请", "Old-age allowance (80+) application",
     "武侯区民政局", 15, True,
     [ID_CARD, HUKOU, BANK, "《高龄津贴申请审批表》"], "年满80周岁的本市户籍老年人。"),
    ("MZ01", "最低生活保障申请", "Minimum living allowance (低保) application",
     "武侯区民政局（社区受理）", 30, True,
     ["申请人及共同生活家庭成员的身份证、户口簿", "《最低生活保障申请书》",
      "家庭经济状况声明及授权核对书", "残疾证、病历、失业证明等（如有）", BANK],
     "受理后社区将入户调查并公示。"),
    ("MZ02", "临时救助申请", "Temporary assistance application",
     "武侯区民政局（社区受理）", 30, True,
     [ID_CARD + "、户口簿", "《临时救助申请审批表》",
      "遭遇困难的证明（医疗费用票据、事故或灾害证明等）", BANK], ""),
    ("MZ03", "困难残疾人生活补贴和重度残疾人护理补贴申请", "Disability living and care subsidies",
     "武侯区民政局、残疾人联合会", 20, True,
     [ID_CARD, HUKOU, "第二代残疾人证", BANK, "《残疾人两项补贴申请审批表》"], ""),
    ("MZ04", "特困人员救助供养申请", "Support for persons in extreme poverty",
     "武侯区民政局（社区受理）", 30, False,
     [ID_CARD, HUKOU, "《特困人员救助供养申请书》", "残疾证或病历（如有）"],
     "由社区工作人员上门或到中心现场受理，不开放网上预约。"),
    ("CL01", "残疾人证申请受理", "Disability certificate application",
     "武侯区残疾人联合会", 20, True,
     [ID_CARD + "及户口簿原件、复印件", "近期2寸免冠彩色照片3张", "《残疾人证申请表》",
      "相关病历或诊断证明"], "受理后到指定医院进行残疾评定。"),
    ("WS01", "生育登记", "Birth registration (生育登记)",
     "武侯区卫生健康局", 15, True,
     ["夫妻双方" + ID_CARD, "结婚证", "户口簿或居住证"],
     "也可在“天府通办”网上办理。"),
    ("WS02", "独生子女父母奖励申请", "Only-child parents' reward",
     "武侯区卫生健康局", 15, True,
     ["夫妻双方身份证、户口簿", "《独生子女父母光荣证》", "结婚证", BANK], ""),
    ("TY01", "退役军人优待证申领", "Veterans' preferential card",
     "武侯区退役军人事务局", 15, True,
     [ID_CARD, "退役证件（退伍证、转业证等）", PHOTO], ""),
    ("SF01", "法律援助申请", "Legal aid application",
     "武侯区司法局（社区法律服务室受理）", 20, True,
     [ID_CARD, "《法律援助申请表》", "经济困难状况说明表", "与案件有关的材料"], ""),
)

# The demo centre's counters: (name, item codes; None = every item)
COUNTERS = (
    ("1号窗口 社保医保", ("SB01", "SB02", "SB03", "SB04", "SB05", "YB01", "JY01", "JY02")),
    ("2号窗口 民政残联", ("LN01", "LN02", "MZ01", "MZ02", "MZ03", "MZ04", "CL01", "TY01")),
    ("3号窗口 户籍计生", ("HJ01", "HJ02", "HJ03", "WS01", "WS02", "SF01")),
    ("4号窗口 综合受理", None),
)
WEEKDAYS = range(5)
# (weekdays, start, end, kind, staffed counters by index; None = all)
RULES = (
    (WEEKDAYS, time(9, 0), time(12, 0), "regular", None),
    (WEEKDAYS, time(13, 30), time(18, 0), "regular", None),
    (WEEKDAYS, time(18, 0), time(20, 0), "extended", (0, 3)),   # 社保医保 + 综合
    ((5,), time(9, 0), time(12, 0), "extended", (1, 3)),        # 民政残联 + 综合
)


# The English beside the Chinese for the items residents from abroad ask about most
# (issue 21): code → (materials, notes)
ENGLISH = {
    "HJ01": (["ID card or passport (original)",
              "A recent colour photo, white background (or taken on site)",
              "Proof of a stable home (tenancy contract or property certificate), or of "
              "work or study",
              "A residence registration of at least half a year"],
             "Collect the permit at the office about 15 working days later."),
}


def seed_items() -> int:
    existing = set(db.session.execute(sa.select(ServiceItem.code)).scalars())
    added = 0
    for order, (code, name, name_en, department, minutes, online, materials,
                notes) in enumerate(ITEMS):
        if code in existing:
            continue
        materials_en, notes_en = ENGLISH.get(code, ([], ""))
        db.session.add(ServiceItem(code=code, name=name, name_en=name_en,
                                   department=department, duration_minutes=minutes,
                                   bookable_online=online, materials=list(materials),
                                   notes=notes, materials_en=list(materials_en),
                                   notes_en=notes_en, sort_order=order))
        added += 1
    db.session.flush()
    return added


def _point(place, name: str, **values) -> tuple[ServiceCentre, int]:
    """The point ``name`` of ``place`` (a name is unique within a community), created
    with ``values`` when missing."""
    point = db.session.execute(
        sa.select(ServiceCentre).where(ServiceCentre.place_id == place.id,
                                       ServiceCentre.name == name)).scalar_one_or_none()
    if point is not None:
        return point, 0
    point = ServiceCentre(place_id=place.id, name=name, **values)
    db.session.add(point)
    db.session.flush()
    return point, 1


def seed_centre(place, name: str, address: str, phone: str, lat: Optional[float] = None,
                lng: Optional[float] = None) -> tuple[ServiceCentre, int]:
    """The service centre of ``place`` (its first point of kind ``centre``, whatever staff
    renamed it to; else a new one called ``name``) with the standard counters and hours,
    if missing."""
    centre = db.session.execute(
        sa.select(ServiceCentre).where(ServiceCentre.place_id == place.id,
                                       ServiceCentre.kind == "centre")
        .order_by(ServiceCentre.id).limit(1)).scalar_one_or_none()
    added = 0
    if centre is None:
        centre, added = _point(place, name, address=address, phone=phone, lat=lat, lng=lng)
    items = {i.code: i for i in db.session.execute(sa.select(ServiceItem)).scalars()}
    counters = {c.name: c for c in db.session.execute(
        sa.select(Counter).where(Counter.centre_id == centre.id)).scalars()}
    ordered = []
    for order, (counter_name, codes) in enumerate(COUNTERS):
        counter = counters.get(counter_name)
        if counter is None:
            served = list(items.values()) if codes is None else [items[c] for c in codes]
            counter = Counter(centre_id=centre.id, name=counter_name, sort_order=order,
                              items=served)
            db.session.add(counter)
            added += 1
        ordered.append(counter)
    db.session.flush()
    has_rules = db.session.execute(
        sa.select(OpeningRule.id).where(OpeningRule.centre_id == centre.id)).first()
    if not has_rules:
        for weekdays, start, end, kind, staffed in RULES:
            for weekday in weekdays:
                db.session.add(OpeningRule(
                    centre_id=centre.id, weekday=weekday, start_time=start, end_time=end,
                    kind=kind,
                    counters=[] if staffed is None else [ordered[i] for i in staffed]))
                added += 1
    db.session.flush()
    return centre, added


# The demo community's second point: a 连心驿站 in the 3号院 courtyard, nearer the older
# residents' homes, with one counter for the items they come for and its own hours:
# Tuesday and Thursday afternoons, Saturday morning (延时).
STATION = ("连心驿站（3号院）", "成都市武侯区晋阳路 3 号院", "028-85000103", 30.6341, 104.0358)
STATION_COUNTERS = (
    ("驿站窗口 老年人服务", ("LN01", "LN02", "HJ02", "CL01")),
)
STATION_RULES = (
    ((1, 3), time(14, 0), time(17, 0), "regular"),
    ((5,), time(9, 0), time(11, 0), "extended"),
)


def seed_station(place) -> tuple[ServiceCentre, int]:
    """The 连心驿站 of ``place`` with its counter and hours, if missing."""
    name, address, phone, lat, lng = STATION
    station, added = _point(place, name, kind="station", address=address, phone=phone,
                            lat=lat, lng=lng, sort_order=1)
    items = {i.code: i for i in db.session.execute(sa.select(ServiceItem)).scalars()}
    existing = set(db.session.execute(
        sa.select(Counter.name).where(Counter.centre_id == station.id)).scalars())
    for order, (counter_name, codes) in enumerate(STATION_COUNTERS):
        if counter_name not in existing:
            db.session.add(Counter(centre_id=station.id, name=counter_name, sort_order=order,
                                   items=[items[c] for c in codes if c in items]))
            added += 1
    db.session.flush()
    if not db.session.execute(
            sa.select(OpeningRule.id).where(OpeningRule.centre_id == station.id)).first():
        for weekdays, start, end, kind in STATION_RULES:
            for weekday in weekdays:
                db.session.add(OpeningRule(centre_id=station.id, weekday=weekday,
                                           start_time=start, end_time=end, kind=kind))
                added += 1
    db.session.flush()
    return station, added


# Demo bookings: (resident openid, item code, local start time wanted)
DEMO_BOOKINGS = (
    ("demo-resident-chen", "SB01", time(18, 30)),   # 小陈 after work (journey 4)
    ("demo-resident-wang", "LN01", time(9, 30)),    # 王阿姨 in the morning
)


def seed_demo(place, address: str, phone: str) -> dict[str, int]:
    """Items, the demo community's centre, and a booking each for 小陈 and 王阿姨 (made
    through the real operation, at the first free slot at the wanted time)."""
    from backend.accounts.models import User
    from backend.bookings import availability as availability_ops
    from backend.bookings import reservations as reservation_ops
    from backend.bookings.models import Booking
    from backend.core.errors import ApiError
    from backend.core.workcalendar import SHANGHAI

    added = seed_items()
    centre, centre_rows = seed_centre(place, f"{place.name}党群服务中心", address, phone,
                                      30.6312, 104.0386)
    _station, station_rows = seed_station(place)
    centre_rows += station_rows
    bookings = 0
    if db.session.execute(sa.select(Booking.id).where(Booking.centre_id == centre.id)).first():
        return {"service_rows": added + centre_rows, "bookings": 0}
    for openid, code, wanted in DEMO_BOOKINGS:
        user = db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()
        item = db.session.execute(
            sa.select(ServiceItem).where(ServiceItem.code == code)).scalar_one_or_none()
        if user is None or item is None:
            continue
        plan = availability_ops.free_slots(centre, item, None, None)
        # the answer's times are Shanghai time, as the resident's phone shows them
        local = [datetime.fromisoformat(s["start"]) for d in plan["days"] for s in d["slots"]]
        starts = [start.astimezone(timezone.utc) for start in local
                  if start.astimezone(SHANGHAI).time() == wanted]
        starts.sort(key=lambda start: start.astimezone(SHANGHAI).weekday() != 2)  # Wednesday
        if not starts:
            continue
        try:
            reservation_ops.book(user, centre.id, item.id, starts[0])
            bookings += 1
        except ApiError:  # a full slot or a cap: the demo goes on without it
            continue
    return {"service_rows": added + centre_rows, "bookings": bookings}
