"""Generated service guides for the kiosk benchmark: realistic vocabulary, any number of guides.

Names combine a group, a subject and an action the way real 办事指南 titles do
(残疾人 + 护理补贴 + 申领), so the search index sees the repetition real catalogues have.
"""

from __future__ import annotations

import random

GROUPS = ["老年人", "残疾人", "失业人员", "低保家庭", "独生子女家庭", "退役军人", "流动人口", "孕产妇", "在校学生",
          "困难职工", "外来务工人员", "特困人员", "孤儿", "低收入家庭", "高龄老人", "计生特殊家庭", "新就业人员",
          "灵活就业人员", "城乡居民", "重度残疾人", "精神障碍患者", "优抚对象", "留守儿童", "困境儿童",
          "社区志愿者", "出租屋业主", "个体工商户", "育龄妇女", "60周岁以上老人", "无业居民"]
SUBJECTS = ["生活补贴", "护理补贴", "医疗救助", "临时救助", "居住证", "社会保险", "养老保险", "医疗保险",
            "就业登记", "失业保险金", "创业补贴", "培训补贴", "住房保障", "廉租房", "公租房", "计划生育证明",
            "生育登记", "独生子女证", "奖励扶助金", "残疾人证", "辅助器具", "康复训练", "助学金", "学位",
            "文化室", "体育场地", "法律援助", "人民调解", "出租屋登记", "流动人口登记", "高龄津贴", "殡葬补贴",
            "婚姻登记证明", "最低生活保障", "特困供养", "优待证", "居家养老服务", "长者饭堂", "家庭医生签约",
            "预防接种"]
ACTIONS = ["申请", "申领", "办理", "变更", "注销", "补办", "查询", "核定", "认定", "备案", "预约", "年审"]
KEYWORDS = ["低保", "补贴", "救助", "社保", "医保", "养老", "就业", "失业", "残疾", "老人", "儿童", "学生",
            "住房", "租房", "生育", "计生", "证明", "登记", "居住证", "调解", "法律", "文化", "体育", "津贴",
            "护理", "康复", "培训", "创业", "殡葬", "婚姻", "优抚", "志愿者", "签约", "疫苗", "长者", "特困"]
MATERIALS = ["居民身份证", "户口簿", "结婚证", "离婚证", "近期免冠照片", "家庭收入证明", "银行存折", "房产证",
             "租赁合同", "劳动合同", "解除劳动合同证明", "残疾人证", "医疗诊断证明", "出生医学证明",
             "毕业证书", "学生证", "社会保障卡", "营业执照", "委托书", "申请表", "承诺书", "病历资料",
             "退役证", "优待证", "独生子女证", "计划生育证明", "居住证", "不动产权证书", "缴费凭证", "村居证明"]


def generate(n: int, seed: int = 7) -> list[dict]:
    """`n` guides as dicts: code, name, keywords, materials (unique names while the vocabulary lasts)."""
    rnd = random.Random(seed)
    combos = [(g, s, a) for g in GROUPS for s in SUBJECTS for a in ACTIONS]
    rnd.shuffle(combos)
    guides = []
    for i in range(n):
        g, s, a = combos[i % len(combos)]
        name = f"{g}{s}{a}" if i < len(combos) else f"{g}{s}{a}（{i // len(combos) + 1}）"
        guides.append({
            "code": f"BG-{i:05d}",
            "name": name,
            "keywords": rnd.sample(KEYWORDS, rnd.randint(1, 4)),
            "materials": rnd.sample(MATERIALS, rnd.randint(2, 7)),
        })
    return guides
