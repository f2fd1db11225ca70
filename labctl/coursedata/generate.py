"""Generate a realistic online shop's data for the e-commerce data-analysis courses.

Deterministic for a seed: the same seed and scale give byte-identical CSV files.
One year of a shop (2025): categories, suppliers, products with SKUs, prices and
costs; customers across China's provinces; orders with 春节, 618, 双11 and 双12
seasonality, weekday and hour-of-day patterns and five channels; traffic sessions
through the funnel; search-promotion keywords and their daily reports;
promotions and coupons; after-sales; logistics; purchasing and stock.

Distributions follow what shops see: product sales are long-tailed (Zipf),
customers are Pareto (a fifth of them carry most revenue), many buy again.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
import itertools
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

from labctl.core.errors import LabError
from labctl.i18n import _
from labseat import coursedata

SCALES = {"tiny": 0.01, "small": 0.1, "standard": 1.0, "large": 10.0, "huge": 30.0}
ORDERS_PER_SCALE = 100_000
YEAR = 2025
START = dt.datetime(YEAR, 1, 1)
DAYS = 365
NULL = r"\N"


class CourseDataError(LabError, coursedata.CourseDataError):
    """Bad input to labctl's course-data commands (the loader's own errors are its base)."""
    exit_code = 2


def parse_scale(value: str | float) -> float:
    """A scale name (tiny, small, standard, large, huge) or a positive number (1 = ~100k orders)."""
    if isinstance(value, (int, float)) or str(value).replace(".", "", 1).isdigit():
        scale = float(value)
        if 0.001 <= scale <= 100:
            return scale
    elif str(value) in SCALES:
        return SCALES[str(value)]
    raise CourseDataError(_(
        "unknown scale {value}: use one of {scales} or a number from 0.001 to 100 (1 = about "
        "{orders} orders)", value=repr(value), scales=", ".join(SCALES),
        orders=f"{ORDERS_PER_SCALE:,}"))


# --------------------------------------------------------------------------- reference data

# province: (population weight, cities, region, distance class from the Zhejiang warehouse)
PROVINCES = {
    "广东": (12.6, ["广州", "深圳", "东莞", "佛山"], "华南", 2), "山东": (10.2, ["济南", "青岛", "烟台"], "华东", 1),
    "河南": (9.9, ["郑州", "洛阳", "南阳"], "华中", 2), "江苏": (8.5, ["南京", "苏州", "无锡"], "华东", 0),
    "四川": (8.4, ["成都", "绵阳", "宜宾"], "西南", 3), "河北": (7.5, ["石家庄", "保定", "唐山"], "华北", 2),
    "湖南": (6.6, ["长沙", "株洲", "岳阳"], "华中", 2), "浙江": (6.5, ["杭州", "宁波", "温州"], "华东", 0),
    "安徽": (6.1, ["合肥", "芜湖", "蚌埠"], "华东", 1), "湖北": (5.8, ["武汉", "宜昌", "襄阳"], "华中", 2),
    "广西": (5.0, ["南宁", "柳州", "桂林"], "华南", 3), "云南": (4.7, ["昆明", "曲靖", "大理"], "西南", 3),
    "江西": (4.5, ["南昌", "赣州", "九江"], "华东", 1), "辽宁": (4.3, ["沈阳", "大连", "鞍山"], "东北", 3),
    "福建": (4.1, ["福州", "厦门", "泉州"], "华东", 1), "陕西": (3.9, ["西安", "宝鸡", "咸阳"], "西北", 3),
    "贵州": (3.8, ["贵阳", "遵义"], "西南", 3), "山西": (3.5, ["太原", "大同"], "华北", 2),
    "重庆": (3.2, ["重庆"], "西南", 3), "黑龙江": (3.2, ["哈尔滨", "大庆"], "东北", 4),
    "新疆": (2.6, ["乌鲁木齐", "喀什"], "西北", 5), "上海": (2.5, ["上海"], "华东", 0),
    "甘肃": (2.5, ["兰州", "天水"], "西北", 4), "内蒙古": (2.4, ["呼和浩特", "包头"], "华北", 4),
    "吉林": (2.4, ["长春", "吉林"], "东北", 4), "北京": (2.2, ["北京"], "华北", 2),
    "天津": (1.4, ["天津"], "华北", 2), "海南": (1.0, ["海口", "三亚"], "华南", 3),
    "宁夏": (0.7, ["银川"], "西北", 4), "青海": (0.6, ["西宁"], "西北", 5), "西藏": (0.3, ["拉萨"], "西南", 5),
}

# category: (sub-categories, price median, price spread, return-rate factor, keywords)
CATEGORIES = {
    "女装": (["连衣裙", "T恤", "衬衫", "半身裙", "外套"], 159, 0.6, 2.2, ["连衣裙", "女装", "t恤女", "衬衫女"]),
    "男装": (["T恤", "夹克", "休闲裤", "卫衣"], 169, 0.6, 1.8, ["男装", "夹克男", "卫衣男", "休闲裤"]),
    "鞋靴": (["运动鞋", "休闲鞋", "靴子", "凉鞋"], 229, 0.5, 2.0, ["运动鞋", "小白鞋", "靴子女", "凉鞋"]),
    "美妆护肤": (["面霜", "精华", "口红", "面膜"], 129, 0.7, 0.6, ["面霜", "精华液", "口红", "面膜"]),
    "食品生鲜": (["零食", "茶叶", "坚果", "水果"], 59, 0.5, 0.4, ["零食大礼包", "茶叶", "坚果", "水果"]),
    "家居日用": (["收纳", "床品", "厨具", "清洁"], 89, 0.6, 0.8, ["收纳盒", "四件套", "炒锅", "拖把"]),
    "数码配件": (["耳机", "充电器", "手机壳", "移动电源"], 139, 0.8, 1.0, ["蓝牙耳机", "充电器", "手机壳", "充电宝"]),
    "母婴用品": (["纸尿裤", "奶瓶", "童装", "玩具"], 119, 0.6, 0.7, ["纸尿裤", "奶瓶", "童装", "玩具"]),
    "运动户外": (["瑜伽垫", "跑步装备", "露营", "健身器材"], 149, 0.7, 1.0, ["瑜伽垫", "跑步", "帐篷", "哑铃"]),
    "家用电器": (["电饭煲", "吹风机", "空气炸锅", "扫地机器人"], 399, 0.7, 0.9, ["电饭煲", "吹风机", "空气炸锅", "扫地机"]),
    "箱包配饰": (["双肩包", "行李箱", "钱包", "帽子"], 179, 0.6, 1.2, ["双肩包", "行李箱", "钱包", "帽子"]),
    "宠物用品": (["猫粮", "狗粮", "猫砂", "宠物玩具"], 99, 0.5, 0.5, ["猫粮", "狗粮", "猫砂", "逗猫棒"]),
}
KEYWORD_MODIFIERS = ["", "新款", "2025", "夏季", "冬季", "女", "男", "学生", "大码", "高端", "平价", "正品",
                     "旗舰店", "包邮", "爆款", "网红", "ins风", "便携", "家用", "礼盒"]
CHANNELS = ["search", "recommendation", "promotion", "live_stream", "social"]
CHANNEL_NAMES = {"search": "搜索", "recommendation": "推荐", "promotion": "活动", "live_stream": "直播",
                 "social": "社交"}
SOURCES = ["natural_search", "paid_search", "recommendation", "promotion", "live_stream", "social",
           "direct"]
DEVICES = (["mobile_app", "mobile_web", "mini_program", "pc"], [55, 12, 18, 15])
PAYMENT_METHODS = (["支付宝", "微信支付", "花呗", "银行卡"], [45, 35, 12, 8])
CARRIERS = {"顺丰": (1.0, 14.0), "京东物流": (1.1, 12.0), "中通": (1.6, 6.0), "圆通": (1.7, 5.5),
            "韵达": (1.7, 5.5), "申通": (1.9, 5.0), "邮政EMS": (2.1, 8.0)}
RETURN_REASONS = (["尺码不合适", "质量问题", "与描述不符", "七天无理由", "物流破损", "发错货", "不想要了"],
                  [26, 18, 14, 20, 6, 4, 12])
AFTER_SALE_TYPES = (["return_refund", "exchange", "refund_only"], [60, 22, 18])
MEMBER_LEVELS = (["普通会员", "银卡", "金卡", "钻石"], [62, 22, 12, 4])
AGE_BANDS = (["18-24", "25-30", "31-35", "36-40", "41-50", "50+"], [22, 30, 20, 12, 10, 6])
FESTIVALS = {  # date: multiplier of the day's orders
    **{dt.date(YEAR, 6, d): 1.4 + 0.12 * d for d in range(1, 18)}, dt.date(YEAR, 6, 18): 6.0,
    **{dt.date(YEAR, 11, d): 1.5 + 0.2 * d for d in range(1, 11)}, dt.date(YEAR, 11, 11): 9.0,
    dt.date(YEAR, 12, 12): 3.5, **{dt.date(YEAR, 1, d): 1.5 for d in range(10, 22)},
    **{dt.date(YEAR, 1, 25) + dt.timedelta(d): 0.35 for d in range(12)},  # 春节: couriers stop
}
HOUR_WEIGHTS = [1.2, 0.7, 0.4, 0.25, 0.2, 0.25, 0.6, 1.4, 2.5, 3.6, 4.4, 4.2, 3.6, 3.8, 4.2, 4.1,
                3.8, 3.5, 3.9, 4.8, 6.0, 6.6, 5.6, 3.0]
WEEKDAY_WEIGHTS = [0.95, 0.93, 0.95, 0.98, 1.02, 1.12, 1.1]


class Picker:
    """Fast weighted choice from a fixed population, on a given Random."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]


@dataclass
class Manifest:
    seed: int
    scale: float
    tables: dict

    def write(self, out: Path) -> None:
        (out / "manifest.json").write_text(json.dumps(
            {"seed": self.seed, "scale": self.scale, "tables": self.tables},
            ensure_ascii=False, indent=1) + "\n")


class Writer:
    """CSV writers, one per table, with row counts and checksums for the manifest."""

    def __init__(self, out: Path):
        self.out = out
        self.files, self.writers, self.counts = {}, {}, {}

    def table(self, name: str, columns: list[str]):
        f = open(self.out / f"{name}.csv", "w", newline="", encoding="utf-8")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        self.files[name], self.writers[name], self.counts[name] = f, w, 0

    def row(self, name: str, values) -> None:
        self.writers[name].writerow([NULL if v is None else v for v in values])
        self.counts[name] += 1

    def close(self) -> dict:
        tables = {}
        for name, f in self.files.items():
            f.close()
            digest = hashlib.sha256((self.out / f"{name}.csv").read_bytes()).hexdigest()
            tables[name] = {"rows": self.counts[name], "sha256": digest}
        return tables


def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def generate(out: Path, seed: int = 2025, scale: float | str = 1.0, progress=None) -> Manifest:
    """Write one CSV per table and manifest.json into `out`; return the manifest. Each part
    below draws from the one random generator in this order, so the data stay the same for a
    seed. progress(done, total, part): the orders (most of the work) written of all."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise CourseDataError(_("seed {seed} must be a whole number >= 0", seed=repr(seed)))
    scale = parse_scale(scale)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    w = Writer(out)
    n_orders = max(200, round(ORDERS_PER_SCALE * scale))
    say = progress or (lambda *_: None)

    say(0, n_orders, "products")
    shop = _catalogue(rng, w, n_products=max(60, round(1800 * scale ** 0.5)))
    say(0, n_orders, "customers")
    people = _customers(rng, w, n_customers=max(80, round(n_orders * 0.42)))
    promos = _promotions(w)
    keywords = _keywords(rng, w, scale)
    calendar = _Calendar.of_year()
    sold = _orders(rng, w, n_orders, shop, people, promos, keywords, calendar, say)
    for cp in promos.coupons:
        used = promos.used[cp[0]]
        w.row("coupons", [*cp, max(used, round(used * rng.uniform(2.5, 5))), used])
    say(n_orders, n_orders, "keywords")
    _keyword_daily(rng, w, keywords.rows, calendar, scale)
    say(n_orders, n_orders, "purchasing")
    _purchasing(rng, w, shop, sold, calendar)

    manifest = Manifest(seed, scale, w.close())
    manifest.write(out)
    return manifest


@dataclass
class _Shop:
    products: list      # (id, price, cost, top category, subcategory id, launch)
    pick_product: Picker
    n_suppliers: int


@dataclass
class _People:
    rows: list          # (province, city, signup)
    pick_customer: Picker


@dataclass
class _Promotions:
    by_day: dict        # date -> (promotion id, rate)
    coupons: list       # [coupon id, promotion id, threshold, amount]
    used: dict          # coupon id -> times used
    of_promotion: dict  # promotion id -> its coupons


@dataclass
class _Keywords:
    rows: list          # (id, text, top category, words)
    for_top: dict       # top category -> its keywords (or all)


@dataclass
class _Calendar:
    days: list          # every date of the year
    weights: list       # each day's weight: trend, weekday, festivals

    @classmethod
    def of_year(cls) -> "_Calendar":
        days = [START.date() + dt.timedelta(d) for d in range(DAYS)]
        return cls(days, [(1 + 0.25 * d / DAYS) * WEEKDAY_WEIGHTS[day.weekday()] * FESTIVALS.get(day, 1.0)
                          for d, day in enumerate(days)])


def _catalogue(rng: random.Random, w: Writer, n_products: int) -> _Shop:
    """Categories, suppliers and products: Zipf popularity, log-normal prices by category."""
    w.table("categories", ["category_id", "name", "parent_id", "level"])
    subcats = []  # (category_id, top name)
    cid = 0
    for top, (subs, *_rest) in CATEGORIES.items():
        cid += 1
        top_id = cid
        w.row("categories", [top_id, top, None, 1])
        for sub in subs:
            cid += 1
            w.row("categories", [cid, sub, top_id, 2])
            subcats.append((cid, top))
    w.table("suppliers", ["supplier_id", "name", "province", "city", "lead_time_days"])
    supplier_provinces = ["浙江", "广东", "江苏", "福建", "山东", "上海"]
    n_suppliers = max(12, n_products // 40)
    for s in range(1, n_suppliers + 1):
        prov = rng.choice(supplier_provinces)
        w.row("suppliers", [s, f"{PROVINCES[prov][1][0]}{rng.choice(['华', '鑫', '优', '嘉', '恒'])}"
                               f"{rng.choice(['贸易', '实业', '制造', '供应链'])}有限公司{s:03d}",
                            prov, PROVINCES[prov][1][0], rng.randint(3, 21)])

    w.table("products", ["product_id", "sku", "name", "category_id", "supplier_id", "price", "cost",
                         "launch_date", "status"])
    products = []
    for p in range(1, n_products + 1):
        sub_id, top = rng.choice(subcats)
        _name, median, spread, _returns, _words = CATEGORIES[top]
        price = round(max(9.9, rng.lognormvariate(math.log(median), spread)), 1)
        cost = round(price * rng.uniform(0.38, 0.72), 2)
        launch = START - dt.timedelta(days=rng.randint(0, 700)) if rng.random() < 0.8 else \
            START + dt.timedelta(days=rng.randint(0, 300))
        status = "on_sale" if rng.random() > 0.06 else "off_shelf"
        name = f"{rng.choice(KEYWORD_MODIFIERS[1:])}{next(s for s in CATEGORIES[top][0])}" \
               f"{rng.choice(['A', 'B', 'C', 'Pro', 'Plus', 'Lite'])}{p:04d}"
        w.row("products", [p, f"SKU{sub_id:03d}{p:06d}", name, sub_id, rng.randint(1, n_suppliers),
                           price, cost, launch.date().isoformat(), status])
        products.append((p, price, cost, top, sub_id, launch))
    popularity = [1.0 / (rank ** 1.07) for rank in range(1, n_products + 1)]
    rng.shuffle(popularity)
    return _Shop(products, Picker(range(n_products), popularity), n_suppliers)


def _customers(rng: random.Random, w: Writer, n_customers: int) -> _People:
    """Customers, with Pareto activity."""
    w.table("customers", ["customer_id", "gender", "age_band", "province", "city", "member_level",
                          "signup_date", "signup_channel"])
    pick_province = Picker(PROVINCES, [v[0] for v in PROVINCES.values()])
    pick_age, pick_level = Picker(*AGE_BANDS), Picker(*MEMBER_LEVELS)
    customers = []
    activity = []
    for c in range(1, n_customers + 1):
        prov = pick_province(rng)
        city = rng.choice(PROVINCES[prov][1])
        signup = START - dt.timedelta(days=int(rng.expovariate(1 / 500))) if rng.random() < 0.7 else \
            START + dt.timedelta(days=rng.randint(0, DAYS - 1))
        w.row("customers", [c, "女" if rng.random() < 0.61 else "男", pick_age(rng), prov, city,
                            pick_level(rng), signup.date().isoformat(), rng.choice(CHANNELS)])
        customers.append((prov, city, signup))
        activity.append(rng.paretovariate(1.16))
    return _People(customers, Picker(range(n_customers), activity))


PROMOTIONS = [("年货节", "full_reduction", (1, 10), (1, 22), 0.90), ("三八女王节", "discount", (3, 1), (3, 8), 0.85),
              ("618大促", "full_reduction", (6, 1), (6, 18), 0.85), ("七夕", "coupon", (8, 25), (8, 29), 0.92),
              ("国庆", "discount", (10, 1), (10, 7), 0.9), ("双11", "full_reduction", (11, 1), (11, 11), 0.8),
              ("双12", "coupon", (12, 8), (12, 12), 0.88), ("店庆秒杀", "flash_sale", (9, 18), (9, 20), 0.7)]


def _promotions(w: Writer) -> _Promotions:
    """The year's promotions and their coupons (the coupons' rows are written after the
    orders, which use them)."""
    w.table("promotions", ["promotion_id", "name", "type", "start_time", "end_time", "discount_rate"])
    w.table("coupons", ["coupon_id", "promotion_id", "threshold", "amount", "issued", "used"])
    by_day = {}
    coupons = []
    for i, (name, kind, (m1, d1), (m2, d2), rate) in enumerate(PROMOTIONS, 1):
        start, end = dt.datetime(YEAR, m1, d1), dt.datetime(YEAR, m2, d2, 23, 59, 59)
        w.row("promotions", [i, name, kind, _ts(start), _ts(end), rate])
        for d in range((end - start).days + 1):
            by_day[(start + dt.timedelta(d)).date()] = (i, rate)
        for threshold, amount in ((99, 10), (199, 30), (299, 50)):
            coupons.append([len(coupons) + 1, i, threshold, amount])
    of_promotion = {}
    for c in coupons:
        of_promotion.setdefault(c[1], []).append(c)
    return _Promotions(by_day, coupons, {c[0]: 0 for c in coupons}, of_promotion)


def _keywords(rng: random.Random, w: Writer, scale: float) -> _Keywords:
    """Keywords for search promotion: a long tail per category."""
    w.table("keywords", ["keyword_id", "keyword", "category_id", "match_type", "bid", "quality_score"])
    keywords = []
    top_ids = {}
    for i, top in enumerate(CATEGORIES, 1):
        top_ids[top] = 1 + sum(1 + len(CATEGORIES[t][0]) for t in list(CATEGORIES)[:i - 1])
    n_kw = max(40, round(360 * scale ** 0.5))
    while len(keywords) < n_kw:
        top = rng.choice(list(CATEGORIES))
        base = rng.choice(CATEGORIES[top][4])
        mods = rng.sample(KEYWORD_MODIFIERS, rng.choice([1, 1, 2, 3]))
        text = " ".join([base, *[m for m in mods if m]]).strip()
        if any(k[1] == text for k in keywords):
            continue
        kid = len(keywords) + 1
        w.row("keywords", [kid, text, top_ids[top], rng.choice(["exact", "phrase", "broad"]),
                           round(rng.uniform(0.3, 3.5), 2), rng.randint(3, 10)])
        keywords.append((kid, text, top, len(text.split())))
    return _Keywords(keywords, {top: [k for k in keywords if k[2] == top] or keywords
                                for top in CATEGORIES})


ORDER_TABLES = {
    "orders": ["order_id", "customer_id", "order_time", "channel", "device", "province", "city",
               "status", "promotion_id", "coupon_id", "goods_amount", "discount_amount",
               "shipping_fee", "pay_amount"],
    "order_items": ["order_id", "line_no", "product_id", "quantity", "unit_price", "line_amount"],
    "payments": ["payment_id", "order_id", "method", "amount", "paid_time"],
    "shipments": ["shipment_id", "order_id", "carrier", "warehouse_province", "province", "city",
                  "shipped_time", "delivered_time", "shipping_cost"],
    "after_sales": ["after_sale_id", "order_id", "product_id", "type", "reason", "request_time",
                    "refund_amount", "status"],
    "sessions": ["session_id", "customer_id", "start_time", "source", "keyword_id", "device",
                 "product_id", "funnel_step", "order_id"],
}
FUNNEL_STEPS = ["visit", "detail", "cart", "order", "pay"]
SOURCE_OF = {"search": ("natural_search", "paid_search"), "recommendation": ("recommendation",),
             "promotion": ("promotion",), "live_stream": ("live_stream",), "social": ("social",)}


class _Counters:
    """The running ids of the rows an order adds beside itself."""

    def __init__(self) -> None:
        self.payment = self.shipment = self.after_sale = self.session = 0


def _orders(rng: random.Random, w: Writer, n_orders: int, shop: _Shop, people: _People,
            promos: _Promotions, keywords: _Keywords, calendar: _Calendar, say) -> list[int]:
    """The orders of the year in time order, each with its lines, the sessions around it
    (the funnel), and when paid its payment, shipment and after-sales; returns the units
    sold of each product."""
    for table, columns in ORDER_TABLES.items():
        w.table(table, columns)
    pick_day = Picker(range(DAYS), calendar.weights)
    pick_hour = Picker(range(24), HOUR_WEIGHTS)
    order_times = sorted(
        (START + dt.timedelta(days=pick_day(rng), hours=pick_hour(rng), minutes=rng.randrange(60),
                              seconds=rng.randrange(60)) for _ in range(n_orders)))
    picks = {"device": Picker(*DEVICES), "pay": Picker(*PAYMENT_METHODS),
             "reason": Picker(*RETURN_REASONS), "as_type": Picker(*AFTER_SALE_TYPES),
             "carrier": Picker(list(CARRIERS), [8, 6, 22, 18, 17, 12, 7])}
    sold = [0] * len(shop.products)
    ids = _Counters()
    for oid, when in enumerate(order_times, 1):
        c, status, pay, lines, channel, device = _order(rng, w, oid, when, shop, people, promos,
                                                        picks)
        _sessions(rng, w, ids, oid, when, c, status, lines, channel, device, shop, people,
                  keywords, picks["device"])
        if status == "paid":
            for p, q in lines:
                sold[p] += q
            _fulfilment(rng, w, ids, oid, when, people.rows[c], pay, lines, shop, picks)
        if oid % 1000 == 0:
            say(oid, len(order_times), "orders")
    return sold


def _order(rng, w, oid, when, shop, people, promos, picks):
    """One order and its lines: (customer index, status, amount paid, [(product, quantity)])."""
    products, n_products = shop.products, len(shop.products)
    c = people.pick_customer(rng)
    while people.rows[c][2] > when:
        c = people.pick_customer(rng)
    prov, city, _signup = people.rows[c]
    live_share = 0.08 + 0.14 * (when - START).days / DAYS
    r = rng.random()
    channel = ("search" if r < 0.36 else "recommendation" if r < 0.6 else
               "promotion" if r < 0.76 - live_share / 2 else
               "live_stream" if r < 0.76 + live_share / 2 else "social")
    device = picks["device"](rng)
    lines = []
    for _line in range(1 if rng.random() < 0.62 else rng.randint(2, 4)):
        p = shop.pick_product(rng)
        if products[p][5] > when or any(x[0] == p for x in lines):
            continue
        lines.append((p, 1 if rng.random() < 0.8 else rng.randint(2, 3)))
    if not lines:
        lines = [(rng.randrange(n_products), 1)]
    goods = round(sum(products[p][1] * q for p, q in lines), 2)
    promo = promos.by_day.get(when.date())
    discount, coupon_id, promo_id = 0.0, None, None
    if promo and (channel in ("promotion", "live_stream") or rng.random() < 0.5):
        promo_id = promo[0]
        discount = round(goods * (1 - promo[1]), 2)
        usable = [cp for cp in promos.of_promotion.get(promo_id, []) if goods >= cp[2]]
        if usable and rng.random() < 0.45:
            cp = usable[-1]
            coupon_id, discount = cp[0], round(discount + cp[3], 2)
            promos.used[coupon_id] += 1
    shipping = 0.0 if goods >= 99 else 8.0
    pay = round(max(0.01, goods - discount + shipping), 2)
    r = rng.random()
    status = "unpaid" if r < 0.055 else "cancelled" if r < 0.09 else "paid"
    w.row("orders", [oid, c + 1, _ts(when), channel, device, prov, city, status, promo_id,
                     coupon_id, goods, discount, shipping, pay])
    for n, (p, q) in enumerate(lines, 1):
        w.row("order_items", [oid, n, p + 1, q, products[p][1], round(products[p][1] * q, 2)])
    return c, status, pay, lines, channel, device


def _sessions(rng, w, ids, oid, when, c, status, lines, channel, device, shop, people,
              keywords, pick_device):
    """The session that led to the order, through the steps it reached, and the sessions
    that did not buy: the funnel's drop-off (about 9 visits per order)."""
    products = shop.products
    source = rng.choice(SOURCE_OF[channel])
    kw = rng.choice(keywords.for_top[products[lines[0][0]][3]])[0] if source.endswith("search") else None
    ids.session += 1
    start = when - dt.timedelta(minutes=rng.randint(2, 40))
    w.row("sessions", [ids.session, c + 1, _ts(start), source, kw, device, lines[0][0] + 1,
                       "pay" if status == "paid" else "order", oid])
    for _visit in range(int(rng.expovariate(1 / 8.5))):
        ids.session += 1
        p = shop.pick_product(rng)
        step = FUNNEL_STEPS[min(3, int(rng.expovariate(1.15)))]
        step = "order" if step == "order" and rng.random() < 0.5 else (
            "cart" if step == "order" else step)
        src = rng.choice(SOURCES)
        anon = rng.random() < 0.45
        w.row("sessions", [ids.session, None if anon else people.pick_customer(rng) + 1,
                           _ts(when - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 3))), src,
                           rng.choice(keywords.for_top[products[p][3]])[0] if src.endswith("search")
                           else None, pick_device(rng), p + 1, step, None])


def _fulfilment(rng, w, ids, oid, when, customer, pay, lines, shop, picks):
    """A paid order's payment, its shipment (slow at festivals, none over the Spring
    Festival), and the after-sales requests of its lines."""
    products = shop.products
    prov, city, _signup = customer
    ids.payment += 1
    paid = when + dt.timedelta(seconds=rng.randint(5, 1800))
    w.row("payments", [ids.payment, oid, picks["pay"](rng), pay, _ts(paid)])
    carrier = picks["carrier"](rng)
    speed, base_cost = CARRIERS[carrier]
    shipped = paid + dt.timedelta(hours=rng.uniform(2, 30) * (3 if FESTIVALS.get(when.date(), 1) > 2 else 1))
    if dt.date(YEAR, 1, 25) <= shipped.date() <= dt.date(YEAR, 2, 5):
        shipped = dt.datetime(YEAR, 2, 6, 9) + dt.timedelta(hours=rng.uniform(0, 48))
    transit = (0.8 + PROVINCES[prov][3] * 0.7) * speed * rng.uniform(0.8, 1.5)
    delivered = shipped + dt.timedelta(days=transit)
    ids.shipment += 1
    w.row("shipments", [ids.shipment, oid, carrier, "浙江", prov, city, _ts(shipped),
                        _ts(delivered) if delivered < dt.datetime(YEAR + 1, 1, 1) else None,
                        round(base_cost + PROVINCES[prov][3] * 1.5 + rng.uniform(0, 2), 2)])
    for p, q in lines:
        rate = 0.035 * CATEGORIES[products[p][3]][3]
        if rng.random() < rate:
            ids.after_sale += 1
            kind = picks["as_type"](rng)
            reason = picks["reason"](rng)
            if kind == "exchange" and reason not in ("尺码不合适", "质量问题", "发错货"):
                reason = "尺码不合适"
            w.row("after_sales", [ids.after_sale, oid, p + 1, kind, reason,
                                  _ts(delivered + dt.timedelta(days=rng.uniform(0.2, 6))),
                                  0 if kind == "exchange" else round(products[p][1] * q, 2),
                                  "completed" if rng.random() < 0.93 else "rejected"])


def _keyword_daily(rng: random.Random, w: Writer, keywords: list, calendar: _Calendar,
                   scale: float) -> None:
    """The daily search-promotion report of each keyword."""
    w.table("keyword_daily", ["report_date", "keyword_id", "impressions", "clicks", "cost",
                              "conversions", "revenue"])
    for kid, _text, top, words in keywords:
        reach = rng.lognormvariate(math.log(2500 / words), 0.9) * scale ** 0.5
        ctr = rng.uniform(0.008, 0.05) * (1 + 0.3 * (words - 1))
        cvr = rng.uniform(0.01, 0.06) * (1 + 0.25 * (words - 1))
        cpc = rng.uniform(0.4, 3.2)
        aov = CATEGORIES[top][1] * rng.uniform(0.8, 1.4)
        for d, day in enumerate(calendar.days):
            imp = int(reach * calendar.weights[d] * rng.uniform(0.7, 1.3))
            clicks = sum(1 for _ in range(min(imp, 5000)) if rng.random() < ctr) if imp < 400 else \
                max(0, int(rng.gauss(imp * ctr, math.sqrt(imp * ctr))))
            conv = max(0, int(rng.gauss(clicks * cvr, math.sqrt(clicks * cvr + 1e-9)))) if clicks else 0
            w.row("keyword_daily", [day.isoformat(), kid, imp, clicks,
                                    round(clicks * cpc * rng.uniform(0.85, 1.15), 2), conv,
                                    round(conv * aov, 2)])


def _purchasing(rng: random.Random, w: Writer, shop: _Shop, sold: list[int],
                calendar: _Calendar) -> None:
    """Purchasing and stock: a monthly reorder covers the next month's demand."""
    w.table("purchase_orders", ["po_id", "supplier_id", "product_id", "quantity", "unit_cost",
                                "order_date", "received_date"])
    w.table("stock_levels", ["product_id", "snapshot_date", "on_hand", "in_transit", "sold_last_month"])
    days, day_w = calendar.days, calendar.weights
    po = 0
    for p, _price, cost, _top, _sub_id, _launch in shop.products:
        monthly = max(1, sold[p - 1] // 12)
        on_hand = rng.randint(monthly, monthly * 3 + 5)
        for month in range(1, 13):
            first = dt.date(YEAR, month, 1)
            sold_m = int(sold[p - 1] * sum(day_w[d] for d in range(DAYS) if days[d].month == month)
                         / sum(day_w))
            if on_hand < sold_m * 1.5 + 5:
                po += 1
                qty = int(sold_m * rng.uniform(1.5, 2.5)) + 10
                w.row("purchase_orders", [po, 1 + (p * 7) % shop.n_suppliers, p, qty,
                                          round(cost * rng.uniform(0.95, 1.05), 2), first.isoformat(),
                                          (first + dt.timedelta(days=rng.randint(3, 21))).isoformat()])
                on_hand += qty
            on_hand = max(0, on_hand - sold_m)
            w.row("stock_levels", [p, first.isoformat(), on_hand, 0, sold_m])
