"""Taizhou's real districts and streets, with generated communities and representative points."""
import math
import random
from typing import NamedTuple


class District(NamedTuple):
    code: str
    name: str
    lat: float
    lng: float
    share: float  # of the city's elders, roughly by registered population
    providers: int
    streets: tuple[str, ...]


DISTRICTS = (
    District("321202", "海陵区", 32.49, 119.92, 0.16, 22, (
        "城东街道", "城西街道", "城中街道", "城南街道", "城北街道", "京泰路街道", "红旗街道", "泰东街道",
        "九龙镇", "罡杨镇", "苏陈镇", "华港镇")),
    District("321203", "高港区", 32.32, 119.88, 0.07, 10, (
        "口岸街道", "刁铺街道", "许庄街道", "永安洲镇", "白马镇", "大泗镇", "胡庄镇")),
    District("321204", "姜堰区", 32.51, 120.13, 0.15, 19, (
        "三水街道", "罗塘街道", "天目山街道", "梁徐街道", "溱潼镇", "张甸镇", "蒋垛镇", "娄庄镇", "沈高镇",
        "白米镇", "淤溪镇")),
    District("321281", "兴化市", 32.94, 119.85, 0.24, 28, (
        "昭阳街道", "临城街道", "戴窑镇", "安丰镇", "沙沟镇", "戴南镇", "陈堡镇", "千垛镇", "周庄镇", "大垛镇")),
    District("321282", "靖江市", 32.01, 120.27, 0.15, 20, (
        "靖城街道", "新桥镇", "东兴镇", "斜桥镇", "西来镇", "季市镇", "孤山镇", "生祠镇", "马桥镇")),
    District("321283", "泰兴市", 32.17, 120.05, 0.23, 28, (
        "济川街道", "延令街道", "黄桥镇", "分界镇", "古溪镇", "元竹镇", "珊瑚镇", "广陵镇", "曲霞镇", "张桥镇")),
)
CITY = "泰州市"
COMMUNITY_STEMS = (
    "幸福 和平 新华 东风 春晖 永安 建设 朝阳 民主 团结 红星 光明 兴隆 长青 锦绣 凤凰 迎春 富民 跃进 友谊 "
    "青年 工农 丰收 新民 东方 太平 高桥 南苑 北园 西城 凤城 东进 莲花 梅园 柳园 桃园 翠竹 清河 双桥 花园"
).split()
COMMUNITIES_PER_STREET = 10


def jitter(rng: random.Random, lat: float, lng: float, km: float, min_km: float = 0.0) -> tuple[float, float]:
    """A point uniformly spread between `min_km` and `km` from (lat, lng)."""
    r = math.sqrt(rng.uniform((min_km / km) ** 2, 1.0)) * km
    a = rng.random() * 2 * math.pi
    return (round(lat + r * math.cos(a) / 111.0, 6),
            round(lng + r * math.sin(a) / (111.0 * math.cos(math.radians(lat))), 6))


def region_rows(rng: random.Random) -> list[dict]:
    """Every region as a dict with code, name, level, parent_code, lat, lng; parents before children."""
    rows = []
    for d in DISTRICTS:
        rows.append(dict(code=d.code, name=d.name, level="district", parent_code=None, lat=d.lat, lng=d.lng))
        for s, sname in enumerate(d.streets, start=1):
            scode = f"{d.code}{s:03d}"
            urban = sname.endswith("街道")
            # Sub-districts make up the town centre; towns lie out in the countryside.
            slat, slng = jitter(rng, d.lat, d.lng, 5, 0) if urban else jitter(rng, d.lat, d.lng, 15, 5)
            rows.append(dict(code=scode, name=sname, level="street", parent_code=d.code, lat=slat, lng=slng))
            kind = "社区" if urban else "村"
            for c, stem in enumerate(rng.sample(COMMUNITY_STEMS, COMMUNITIES_PER_STREET), start=1):
                clat, clng = jitter(rng, slat, slng, 2)
                rows.append(dict(code=f"{scode}{c:03d}", name=f"{stem}{kind}", level="community",
                                 parent_code=scode, lat=clat, lng=clng))
    return rows
