"""A small hall for kiosk tests: six service areas, a dozen guides, businesses, windows, notices.

Written straight into the cache through the models, so catalogue and kiosk tests do not depend
on the bundled sample's exact wording.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from kiosk.services.auth import hash_pin
from sync.cache.models import BusinessType, Category, Notice, ServiceGuide, Staff, Window, WindowService

CATEGORIES = [
    ("civil", "民政事务", "Civil affairs", "civil", 1),
    ("labor", "劳动保障", "Labour and social security", "labor", 2),
    ("health", "计生卫生", "Family planning and health", "health", 3),
    ("disability", "残疾人服务", "Disability services", "disability", 4),
    ("safety", "维稳综治", "Residence and mediation", "safety", 5),
    ("culture", "文体科教", "Culture and education", "culture", 6),
]

BUSINESSES = [("civil", "民政事务业务", "Civil affairs", "B"), ("labor", "劳动保障业务", "Labour", "A"),
              ("health", "计生卫生业务", "Health", "C")]

MATERIALS_DIBAO = [
    {"name": "居民身份证", "copies": 1, "form": "both", "notes": "申请人及家庭成员"},
    {"name": "户口簿", "copies": 1, "form": "original", "notes": ""},
    {"name": "家庭收入证明", "copies": 2, "form": "copy", "notes": "近6个月"},
]

# (code, category, name, name_en, keywords, materials, business)
GUIDES = [
    ("MZ-001", "civil", "最低生活保障申请", "Minimum living allowance", ["低保", "救助"], MATERIALS_DIBAO, "civil"),
    ("MZ-002", "civil", "临时救助申请", "Temporary assistance", ["救助", "急难"], [
        {"name": "居民身份证", "copies": 1, "form": "copy", "notes": ""}], "civil"),
    ("MZ-003", "civil", "高龄老人津贴申领", "Allowance for the very old", ["高龄津贴", "老人"], [
        {"name": "户口簿", "copies": 1, "form": "original", "notes": ""}], "civil"),
    ("MZ-004", "civil", "低收入家庭认定", "Low-income household", ["低收入"], [], "civil"),
    ("LD-001", "labor", "失业登记", "Unemployment registration", ["失业", "就业"], [
        {"name": "解除劳动合同证明", "copies": 1, "form": "original", "notes": ""}], "labor"),
    ("LD-002", "labor", "灵活就业人员社会保险登记", "Social insurance for flexible workers", ["社保"], [], "labor"),
    ("JS-001", "health", "生育登记服务", "Birth registration", ["生育", "准生证"], [
        {"name": "结婚证", "copies": 1, "form": "both", "notes": ""}], "health"),
    ("CJ-001", "disability", "残疾人证办理", "Disability certificate", ["残疾证"], [
        {"name": "近期免冠照片", "copies": 2, "form": "original", "notes": "两寸"}], None),
    ("WW-001", "safety", "居住证申领", "Residence permit", ["居住证"], [], None),
    ("WT-001", "culture", "社区文化室预约", "Community culture room booking", ["活动室"], [], None),
]

@cache
def pin_hash(pin: str) -> str:
    return hash_pin(pin)  # scrypt is slow on purpose; hash each test PIN once per run


EMPTY_GUIDE_CODE = "WT-999"  # a guide whose optional fields are all empty


def seed_catalog(cache, *, today: date | None = None) -> None:
    today = today or date.today()
    with cache.transaction() as s:
        cats = {}
        for code, name, name_en, icon, order in CATEGORIES:
            c = Category(code=code, name=name, name_en=name_en, icon=icon, sort_order=order)
            s.add(c)
            cats[code] = c
        businesses = {}
        for code, name, name_en, prefix in BUSINESSES:
            b = BusinessType(code=code, name=name, name_en=name_en, prefix=prefix, avg_service_minutes=10)
            s.add(b)
            businesses[code] = b
        s.flush()
        for number, code in [(1, "labor"), (2, "civil"), (3, "health")]:
            w = Window(number=number, name=f"{number}号窗口")
            s.add(w)
            s.flush()
            s.add(WindowService(window_id=w.id, business_type_id=businesses[code].id, priority=0))
        for code, cat, name, name_en, keywords, materials, business in GUIDES:
            s.add(ServiceGuide(
                code=code, name=name, name_en=name_en, category=cats[cat], authority="幸福街道办事处",
                legal_basis="《社会救助暂行办法》", conditions="具有本市户籍，家庭人均收入低于当地标准。",
                materials=materials, steps=["申请人向社区工作站提出申请", "社区入户调查", "街道审核", "公示并发放"],
                legal_time_limit="30个工作日", promised_time_limit="20个工作日", visits=1, fees="",
                location="幸福社区工作站一楼大厅2号窗口", hours="周一至周五 9:00-12:00，14:00-17:30",
                phone="0755-88880102", complaint_phone="0755-12345", keywords=keywords,
                faqs=[{"q": "外地户籍可以申请吗？", "a": "需持有本市居住证满一年。"}],
                business_type=businesses.get(business) if business else None,
            ))
        s.add(ServiceGuide(code=EMPTY_GUIDE_CODE, name="空白测试事项", category=cats["culture"],
                           materials=[{"name": ""}, "bad"], steps=[], keywords=[], faqs=[], visits=0))
        s.add(ServiceGuide(code="WT-000", name="已下线事项", category=cats["culture"], published=False))
        s.add(Notice(title="第四季度低保对象公示", body="公示期为11月20日至11月30日。",
                     starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=5)))
        s.add(Notice(title="过期的公示", body="不应显示", starts_on=today - timedelta(days=30),
                     ends_on=today - timedelta(days=20)))
        s.add(Staff(name="王站长", role="head", pin_hash=pin_hash("2468")))
        s.add(Staff(name="李办事员", role="clerk", pin_hash=pin_hash("1357")))
