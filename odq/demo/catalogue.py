"""Generate the offline demo portal's catalogue: a fictional Chinese city open-data portal (云江市).

The demo server and the tests use it so odq can be tried end to end without the network. The
catalogue is CKAN API v3 shaped and deliberately imperfect in the ways real portals are: stale
datasets, unnormalisable update-frequency labels, dead links, links to a home page, broken CSVs,
GB18030 and BOM encodings, thin field documentation, a theme domain (安全生产) with no group.
Everything derives from `now` and `random.Random(seed)`, so equal inputs give an equal catalogue.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

CITY = "云江市"
DISTRICTS = ("东湖区", "西城区", "南山区", "北岸区", "高新区", "经开区", "临江县", "青林县")
ROADS = ("人民路", "解放路", "中山路", "建设路", "滨江大道", "文化路", "新华街", "和平路", "长江路", "学府路")
FIXED_FILE_TIME = datetime(2023, 1, 1)  # stamped into the XLSX so its bytes do not depend on the clock


class Department(NamedTuple):
    slug: str
    title: str
    group: str  # CKAN group slug of the department's theme
    data: str  # the file its CSV resources usually point at ("" = any CSV in the pool)
    subjects: str  # dataset title stems, "|"-separated


DEPARTMENTS = tuple(Department(*row) for row in (
    ("scjgj", "市市场监督管理局", "jingmao", "files/food-licences.csv",
     "食品生产许可证发证信息|食品经营许可证信息|企业登记注册信息|个体工商户登记信息|特种设备使用登记信息|产品质量监督抽查结果"),
    ("rsj", "市人力资源和社会保障局", "shebao", "files/employment-by-district.csv",
     "城镇新增就业情况|职业技能培训机构名录|人力资源服务机构名录|社会保险经办机构信息|技工院校名录|劳动保障监察案件信息"),
    ("jyj", "市教育局", "jiaoyu", "files/schools.csv",
     "幼儿园名录|中小学学区划分信息|民办学校名录|校外培训机构白名单|教育收费标准|高中招生计划"),
    ("wjw", "市卫生健康委员会", "yiliao", "files/hospitals.csv",
     "医疗机构名录|执业医师注册信息|发热门诊信息|预防接种门诊信息|献血点信息|卫生监督行政处罚信息"),
    ("mzj", "市民政局", "minsheng", "",
     "养老机构名录|社会组织登记信息|婚姻登记机关信息|殡葬服务机构信息|城乡低保标准|社区服务中心信息"),
    ("zjj", "市住房和城乡建设局", "chengjian", "",
     "房地产开发企业资质信息|商品房预售许可信息|建筑业企业资质信息|保障性住房项目信息|物业服务企业名录"),
    ("jtysj", "市交通运输局", "jiaotong", "files/bus-stops.csv",
     "市级公交站点信息|公交线路信息|出租汽车企业信息|公共自行车站点信息|驾驶员培训机构信息|道路运输经营许可信息"),
    ("wglj", "市文化广电旅游局", "wenhua", "files/scenic-spots.xlsx",
     "A级旅游景区名录|旅行社名录|星级饭店名录|公共图书馆信息|文物保护单位名录|非物质文化遗产项目名录"),
    ("kjj", "市科学技术局", "keji", "files/high-tech-enterprises.csv",
     "高新技术企业名单|科技型中小企业名单|市级科技计划项目立项信息|众创空间名录|重点实验室名录"),
    ("nyncj", "市农业农村局", "nongye", "",
     "农民专业合作社名录|家庭农场名录|农产品批发市场信息|农药经营许可信息|种子生产经营许可信息|农机购置补贴信息"),
    ("yjglj", "市应急管理局", "anquan", "",
     "应急避难场所信息|危险化学品经营许可信息|自然灾害救助物资储备点|应急救援队伍信息"),
    ("sthjj", "市生态环境局", "huanjing", "files/air-quality-daily.csv",
     "地表水水质监测信息|重点排污单位名录|建设项目环评审批信息|噪声监测信息|环境行政处罚信息"),
    ("tjj", "市统计局", "zonghe", "files/population.json",
     "主要经济指标|人口基本情况|居民消费价格指数|规模以上工业增加值|社会消费品零售总额"),
    ("gaj", "市公安局", "anquan", "",
     "户政服务窗口信息|出入境接待大厅信息|交通违法处理点信息|机动车检测站信息|派出所信息"),
    ("zrzyghj", "市自然资源和规划局", "chengjian", "",
     "国有建设用地供应信息|建设工程规划许可信息|不动产登记服务网点|地质灾害隐患点信息|测绘资质单位名录"),
    ("fgw", "市发展和改革委员会", "zonghe", "",
     "重点建设项目信息|政府定价目录|企业投资项目备案信息|价格监测信息"),
    ("czj", "市财政局", "caishui", "",
     "政府采购代理机构名录|财政预算信息|政府性基金收支情况|非税收入项目目录"),
    ("swj", "国家税务总局云江市税务局", "caishui", "",
     "纳税信用A级纳税人名单|办税服务厅信息|重大税收违法失信案件信息"),
    ("sfj", "市司法局", "qita", "", "律师事务所名录|公证机构名录|法律援助机构信息|司法鉴定机构名录"),
    ("slj", "市水务局", "chengjian", "", "供水企业信息|河道水位监测信息|水利工程名录|取水许可信息"),
    ("ybj", "市医疗保障局", "yiliao", "files/insured-pharmacies.csv",
     "医保定点零售药店名录|医保定点医疗机构名录|医保经办服务网点|医疗服务价格信息"),
    ("tyj", "市体育局", "wenhua", "",
     "公共体育场馆信息|全民健身路径信息|体育社会组织名录|高危险性体育项目经营许可"),
    ("swuj", "市商务局", "jingmao", "",
     "对外贸易经营者备案信息|商业网点信息|单用途预付卡备案企业|再生资源回收经营者备案"),
    ("gxj", "市工业和信息化局", "keji", "",
     "规模以上工业企业名录|专精特新中小企业名单|工业园区信息|软件企业名录"),
    ("cgj", "市城市管理局", "chengjian", "files/parking-lots.csv",
     "公共停车场信息|公共厕所信息|垃圾分类投放点信息|户外广告设置许可信息"),
))
DEPT = {d.slug: d for d in DEPARTMENTS}

# Themes: 11 of the 12 CSTC domains; 安全生产 is deliberately missing (公共安全 is policing, not it).
GROUPS = (("jingmao", "经贸工商"), ("shebao", "社保就业"), ("jiaoyu", "教育服务"), ("yiliao", "医疗卫生"),
          ("minsheng", "民生服务"), ("chengjian", "城建住房"), ("jiaotong", "交通出行"),
          ("wenhua", "文化休闲"), ("keji", "科技创新"), ("nongye", "农业农村"), ("huanjing", "生态环境"),
          ("caishui", "财税金融"), ("anquan", "公共安全"), ("zonghe", "综合"), ("qita", "其他"))
# Fragmented series: one table split into one dataset per year.
SERIES = (("jyj", "schools", "全市中小学名录", range(2019, 2024)),
          ("tjj", "gongbao", "国民经济和社会发展统计公报数据", range(2019, 2023)),
          ("sthjj", "aqi", "空气质量日报数据", range(2020, 2023)),
          ("rsj", "jiuye", "各区城镇新增就业人数", range(2019, 2022)))
# The only trace of the 安全生产 domain: two titles, filed under 公共安全 like the rest of 应急管理局.
SAFETY = (("yjglj", "aqsc-xuke", "安全生产许可证发证信息"),
          ("yjglj", "aqsc-zhifa", "安全生产行政执法检查信息"))

# label -> declared period in days (None: no period to be late against); weights give a realistic mix.
PERIODS: dict[str, int | None] = {"实时": 1, "每日": 1, "每周": 7, "每月": 31, "每季度": 92, "每半年": 183,
                                  "每年": 366, "不定期": None, "暂无": None, "": None, "按需更新?": None}
FREQ_WEIGHTS = {"实时": 4, "每日": 10, "每周": 6, "每月": 17, "每季度": 12, "每半年": 5, "每年": 18,
                "不定期": 11, "暂无": 3, "": 2, "按需更新?": 2, None: 10}
MIMETYPES = {"CSV": "text/csv", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "XLS": "application/vnd.ms-excel", "JSON": "application/json", "API": "application/json",
             "PDF": "application/pdf", "DOC": "application/msword", "": None}
FIRST_FORMATS = {"CSV": 66, "XLSX": 8, "XLS": 5, "JSON": 5, "API": 5, "PDF": 4, "DOC": 3, "": 4}
MORE_FORMATS = {"CSV": 36, "XLSX": 11, "XLS": 5, "JSON": 12, "API": 18, "PDF": 9, "DOC": 5, "": 4}
ORG_KEYS = ("id", "name", "title", "type", "is_organization", "description", "image_url", "created",
            "approval_status", "state")
EXTRA_TAGS = ("公共服务", "便民", "统计", "名录", "许可", "监管", "开放数据", "民生")

API_PATHS = ("api/bus/arrivals", "api/env/aqi-realtime")
PAGE_PATHS = ("pages/index.html", "pages/data-service.html")

Gen = Callable[[Random, int], str]


# ---- value generators for the data files -------------------------------------------------------------
def _pick(*options: str) -> Gen:
    return lambda r, i: r.choice(options)


def _int(lo: int, hi: int) -> Gen:
    return lambda r, i: str(r.randint(lo, hi))


def _num(lo: float, hi: float, digits: int = 2) -> Gen:
    return lambda r, i: f"{r.uniform(lo, hi):.{digits}f}"


def _day(start: date, span: int) -> Gen:
    return lambda r, i: (start + timedelta(days=r.randrange(span))).isoformat()


def _address() -> Gen:
    return lambda r, i: f"{CITY}{r.choice(DISTRICTS)}{r.choice(ROADS)}{r.randint(1, 999)}号"


def _name(suffix: str) -> Gen:
    words = ("华盛", "恒达", "新源", "宏图", "金禾", "瑞丰", "同创", "博远", "鑫泰", "永和", "德利", "安康")
    return lambda r, i: f"云江{r.choice(words)}{r.choice(words)}{suffix}"


def _phone() -> Gen:
    return lambda r, i: f"0571-{r.randint(80000000, 89999999)}"


def _or_text(gen: Gen, share: float) -> Gen:
    """A numeric column in which clerks typed text now and then."""
    return lambda r, i: r.choice(("暂无", "—", "约3000")) if r.random() < share else gen(r, i)


class Column(NamedTuple):
    name: str
    type: str  # Table Schema type
    description: str
    gen: Gen


@dataclass(frozen=True)
class DataFile:
    path: str
    rows: int
    columns: tuple[Column, ...]
    encoding: str = "utf-8"  # "utf-8-sig" writes a BOM
    defect: str = ""  # "blank-row" | "extra-cells"; other defects live in the columns themselves


C = Column
DATA_FILES = {f.path: f for f in (
    DataFile("files/bus-stops.csv", 120, (
        C("站点编号", "string", "公交站点的唯一编号。", lambda r, i: f"BS{i + 1:05d}"),
        C("站点名称", "string", "站点在站牌上显示的名称。",
          lambda r, i: f"{r.choice(ROADS)}{r.choice('东西南北')}站"),
        C("所属线路", "string", "经停该站点的公交线路。", lambda r, i: f"{r.randint(1, 320)}路"),
        C("所在区", "string", "站点所在的行政区。", _pick(*DISTRICTS)),
        C("经度", "number", "站点位置经度（WGS84）。", _num(120.0, 120.4, 6)),
        C("纬度", "number", "站点位置纬度（WGS84）。", _num(30.1, 30.4, 6)))),
    DataFile("files/schools.csv", 80, (
        C("学校名称", "string", "学校的规范全称。", lambda r, i: f"云江市{r.choice(ROADS)}第{i + 1}学校"),
        C("学段", "string", "学校所属学段。", _pick("小学", "初中", "九年一贯制", "高中")),
        C("办学性质", "string", "公办或民办。", _pick("公办", "公办", "民办")),
        C("所在区", "string", "学校所在的行政区。", _pick(*DISTRICTS)),
        C("地址", "string", "学校地址。", _address()),
        C("在校学生数", "integer", "统计时点的在校学生人数。", _int(200, 3000)))),
    DataFile("files/food-licences.csv", 150, (
        C("许可证编号", "string", "食品生产许可证编号。", lambda r, i: f"SC1{r.randint(10**12, 10**13 - 1)}"),
        C("企业名称", "string", "持证企业名称。", _name("食品有限公司")),
        C("统一社会信用代码", "string", "企业的统一社会信用代码。",
          lambda r, i: f"91330100{r.randint(10**9, 10**10 - 1)}"),
        C("食品类别", "string", "获准生产的食品类别。", _pick("糕点", "饮料", "调味品", "速冻食品")),
        C("发证日期", "date", "许可证的发证日期。", _day(date(2019, 1, 1), 1500)),
        C("有效期至", "date", "许可证有效期截止日期。", _day(date(2024, 1, 1), 1500))), encoding="utf-8-sig"),
    DataFile("files/insured-pharmacies.csv", 60, (
        C("机构名称", "string", "医保定点机构名称。", _name("大药房")),
        C("机构类型", "string", "定点零售药店或定点医疗机构。", _pick("定点零售药店", "定点医疗机构")),
        C("所在区", "string", "机构所在的行政区。", _pick(*DISTRICTS)),
        C("地址", "string", "机构地址。", _address()),
        C("联系电话", "string", "机构对外联系电话。", _phone())), encoding="gb18030"),
    DataFile("files/hospitals.csv", 40, (
        C("医疗机构名称", "string", "医疗机构执业登记名称。", lambda r, i: f"云江市第{i + 1}人民医院"),
        C("机构等级", "string", "医院评审等级。", _pick("三级甲等", "三级乙等", "二级甲等", "一级")),
        C("床位数", "integer", "核定床位数。", _int(50, 2500)),
        C("地址", "string", "机构地址。", _address()),
        C("联系电话", "string", "机构对外联系电话。", _phone()))),
    DataFile("files/parking-lots.csv", 50, (
        C("停车场名称", "string", "停车场名称。", lambda r, i: f"{r.choice(ROADS)}公共停车场{i + 1}"),
        C("地址", "string", "停车场地址。", _address()),
        C("泊位数", "integer", "停车泊位数量。", _int(20, 800)),
        C("收费标准", "string", "收费标准说明。", _pick("首小时5元，之后每小时2元", "免费", "每次10元"))),
        defect="blank-row"),
    DataFile("files/air-quality-daily.csv", 90, (
        C("监测站点", "string", "空气质量自动监测站名称。", _pick("东湖站", "西城站", "南山站", "高新站")),
        C("监测日期", "date", "监测数据所属日期。", _day(date(2022, 1, 1), 365)),
        C("AQI", "integer", "空气质量指数。", _int(20, 220)),
        C("PM2.5", "number", "PM2.5日均浓度（微克/立方米）。", _num(5, 150, 1)),
        C("首要污染物", "string", "当日首要污染物。", _pick("PM2.5", "PM10", "O3", "—"))),
        defect="extra-cells"),
    DataFile("files/employment-by-district.csv", 32, (
        C("年份", "integer", "统计年度。", lambda r, i: str(2019 + i // len(DISTRICTS) % 4)),
        C("区域", "string", "行政区。", lambda r, i: DISTRICTS[i % len(DISTRICTS)]),
        C("新增就业人数", "integer", "当年城镇新增就业人数。", _or_text(_int(800, 12000), 0.15)),
        C("城镇登记失业率", "number", "年末城镇登记失业率（%）。", _num(1.5, 3.5)))),
    DataFile("files/high-tech-enterprises.csv", 70, (  # the same header twice: a copy-paste accident
        C("序号", "integer", "序号。", lambda r, i: str(i + 1)),
        C("企业名称", "string", "高新技术企业名称。", _name("科技有限公司")),
        C("企业名称", "string", "高新技术企业名称。", _name("科技有限公司")),
        C("认定年份", "integer", "认定为高新技术企业的年份。", _int(2018, 2023)),
        C("证书编号", "string", "高新技术企业证书编号。",
          lambda r, i: f"GR20{r.randint(18, 23)}33{r.randint(1000, 9999)}"))),
    DataFile("files/scenic-spots.xlsx", 30, (
        C("景区名称", "string", "旅游景区名称。", lambda r, i: f"{r.choice('湖山岛')}景区{i + 1}"),
        C("景区等级", "string", "A级旅游景区等级。", _pick("5A", "4A", "3A", "2A")),
        C("所在区", "string", "景区所在的行政区。", _pick(*DISTRICTS)),
        C("门票价格", "number", "成人门票价格（元）。", _num(0, 180, 0)),
        C("开放时间", "string", "日常开放时间。", _pick("08:00-17:30", "全天开放", "09:00-18:00")))),
    DataFile("files/population.json", 14, (
        C("年份", "integer", "统计年度。", lambda r, i: str(2010 + i)),
        C("常住人口", "integer", "年末常住人口（万人）。", _int(620, 780)),
        C("户籍人口", "integer", "年末户籍人口（万人）。", _int(480, 560)),
        C("城镇化率", "number", "城镇人口占常住人口比重（%）。", _num(62, 78, 1)))),
)}
CSV_PATHS = tuple(p for p in DATA_FILES if p.endswith(".csv"))


# ---- file bodies -----------------------------------------------------------------------------------
def _rows(spec: DataFile, rng: Random) -> list[list[str]]:
    rows = [[c.gen(rng, i) for c in spec.columns] for i in range(spec.rows)]
    if spec.defect == "blank-row":
        rows.insert(len(rows) // 2, [])
    elif spec.defect == "extra-cells":
        rows[len(rows) // 3] += ["补录", "人工核对"]
    return rows


def _csv_bytes(spec: DataFile, rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.name for c in spec.columns])
    writer.writerows(rows)
    return buf.getvalue().encode(spec.encoding)


def _xlsx_bytes(spec: DataFile, rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append([c.name for c in spec.columns])
    for row in rows:
        ws.append([float(v) if c.type == "number" else v for c, v in zip(spec.columns, row, strict=True)])
    wb.properties.created = wb.properties.modified = FIXED_FILE_TIME
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()  # save_workbook would stamp now()
    # Re-pack with fixed entry timestamps: zip members otherwise carry the wall clock.
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_FILE_TIME.timetuple()[:6]), src.read(info),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _json_records(spec: DataFile, rows: list[list[str]]) -> list[dict[str, Any]]:
    cast = {"integer": int, "number": float}
    return [{c.name: cast.get(c.type, str)(v) for c, v in zip(spec.columns, row, strict=True)}
            for row in rows]


def _api_body(spec: DataFile, rng: Random, n: int) -> bytes:
    """Typical Chinese platform API envelope around a few records."""
    records = _json_records(spec, [[c.gen(rng, i) for c in spec.columns] for i in range(n)])
    body = {"code": 200, "msg": "操作成功", "data": {"total": n, "list": records}}
    return json.dumps(body, ensure_ascii=False).encode()


def _html_page(heading: str) -> bytes:
    return (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{CITY}公共数据开放平台"
            f"</title></head><body><h1>{heading}</h1><p>欢迎访问{CITY}公共数据开放平台。</p></body></html>").encode()


def _rtf(text: str) -> bytes:
    """A .doc as many portals publish it: RTF renamed, Chinese as \\u escapes."""
    escaped = "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in text)
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 SimSun;}}\\f0 " + escaped + "}").encode()


PDF_BODY = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _build_files(rng: Random) -> tuple[dict[str, bytes], dict[str, str], dict[str, int]]:
    """Bodies and Content-Types served by the demo server, and the row count of each data file."""
    files: dict[str, bytes] = {}
    types: dict[str, str] = {}
    for path, spec in DATA_FILES.items():
        rows = _rows(spec, rng)
        if path.endswith(".csv"):
            files[path] = _csv_bytes(spec, rows)
            # The GB18030 file is served without a charset: clients must detect, not assume.
            types[path] = "text/csv" if spec.encoding != "utf-8" else "text/csv; charset=utf-8"
        elif path.endswith(".xlsx"):
            files[path], types[path] = _xlsx_bytes(spec, rows), MIMETYPES["XLSX"]
        else:
            files[path] = json.dumps(_json_records(spec, rows), ensure_ascii=False, indent=1).encode()
            types[path] = "application/json"
    for path, source in zip(API_PATHS, ("files/bus-stops.csv", "files/air-quality-daily.csv"), strict=True):
        files[path], types[path] = _api_body(DATA_FILES[source], rng, 10), "application/json;charset=UTF-8"
    for path, heading in zip(PAGE_PATHS, (f"{CITY}公共数据开放平台", "数据服务"), strict=True):
        files[path], types[path] = _html_page(heading), "text/html; charset=utf-8"
    files["files/guide.pdf"], types["files/guide.pdf"] = PDF_BODY, "application/pdf"
    files["files/notice.doc"] = _rtf(f"{CITY}公共数据开放说明")
    types["files/notice.doc"] = "application/msword"
    return files, types, {p: s.rows for p, s in DATA_FILES.items()}


# ---- the catalogue -----------------------------------------------------------------------------------
def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _weighted(rng: Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def _plan(rng: Random, size: int) -> list[tuple[Department, str, str]]:
    """(department, title, name) for each dataset: series and 安全生产 first, then subjects round-robin."""
    specs = [(DEPT[d], f"{year}年{stem}", f"{d}-{slug}-{year}")
             for d, slug, stem, years in SERIES for year in years]
    specs += [(DEPT[d], title, f"{d}-{slug}") for d, slug, title in SAFETY]
    pairs = [(d, s) for d in DEPARTMENTS for s in d.subjects.split("|")]
    rng.shuffle(pairs)
    counters: Counter[str] = Counter()
    for rnd in range(len(DISTRICTS) + 1):  # round 0 is city-wide, later rounds repeat per district
        for dept, subject in pairs:
            if len(specs) >= size:
                break
            counters[dept.slug] += 1
            title = subject if rnd == 0 else f"{DISTRICTS[rnd - 1]}{subject}"
            specs.append((dept, title, f"{dept.slug}-{counters[dept.slug]:03d}"))
    specs = specs[:size]
    rng.shuffle(specs)
    return specs


class _Builder:
    def __init__(self, now: datetime, rng: Random, files: dict[str, bytes], row_counts: dict[str, int]):
        self.now, self.rng, self.files, self.row_counts = now, rng, files, row_counts
        since = now - timedelta(days=2400)
        self.orgs = {d.slug: self._owner(d.slug, d.title, since, True) for d in DEPARTMENTS}
        self.groups = {slug: self._owner(slug, title, since, False) for slug, title in GROUPS}
        self.tag_ids: dict[str, str] = {}

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def _owner(self, slug: str, title: str, since: datetime, is_org: bool) -> dict[str, Any]:
        return {"id": self.uid(), "name": slug, "title": title, "display_name": title, "image_url": "",
                "description": CITY + title.removeprefix("市") if is_org else f"{title}主题数据",
                "image_display_url": "", "created": _ts(since), "type": "organization" if is_org else "group",
                "is_organization": is_org, "state": "active", "approval_status": "approved"}

    def _dates(self, freq: str | None) -> tuple[datetime, datetime]:
        period = PERIODS.get(freq or "")
        # Frequent promises are the ones most often broken: a third of 实时/每日/每周 datasets are stale.
        stale = self.rng.random() < (0.35 if period and period <= 7 else 0.15)
        lag = max(200, 2 * (period or 0))  # stale means well past the promised period
        age = self.rng.uniform(lag, 900) if stale else self.rng.uniform(0, period or 1000)
        modified = self.now - timedelta(days=age)
        return modified - timedelta(days=self.rng.uniform(0, 900)), modified

    def _target(self, fmt: str, dept: Department, name: str, position: int) -> str:
        roll = self.rng.random()
        if roll < 0.07:  # dead link: never in `files`, the server answers 404
            return f"files/missing/{name}-{position + 1}.{(fmt or 'csv').lower()}"
        if roll < 0.08:  # a link that only reaches the portal's home page
            return self.rng.choice(PAGE_PATHS)
        if fmt in ("XLSX", "XLS"):
            return "files/scenic-spots.xlsx"  # the XLS ones are really XLSX, as often happens
        if fmt in ("JSON", "API", "PDF", "DOC"):
            return {"JSON": "files/population.json", "PDF": "files/guide.pdf",
                    "DOC": "files/notice.doc"}.get(fmt) or self.rng.choice(API_PATHS)
        if dept.data.endswith(".csv") and self.rng.random() < 0.8:
            return dept.data
        return self.rng.choice(CSV_PATHS)

    def _schema(self, spec: DataFile) -> dict[str, Any]:
        poor = self.rng.random() < 0.25  # descriptions that merely repeat the column name
        return {"fields": [{"name": c.name, "title": c.name, "type": c.type,
                            "description": c.name if poor else c.description} for c in spec.columns]}

    def _resource(self, pkg: dict[str, Any], position: int, dept: Department) -> dict[str, Any]:
        rng = self.rng
        fmt = _weighted(rng, FIRST_FORMATS if position == 0 else MORE_FORMATS)
        path = self._target(fmt, dept, pkg["name"], position)
        pkg_modified = datetime.fromisoformat(pkg["metadata_modified"])
        pkg_created = datetime.fromisoformat(pkg["metadata_created"])
        created = min(pkg_created + timedelta(minutes=position), pkg_modified)
        modified = max(created, pkg_modified - timedelta(hours=rng.uniform(0, 48)))
        size = len(self.files[path]) if path in self.files else rng.randint(2_000, 900_000)
        label = {"API": "数据接口", "": "数据文件"}.get(fmt, fmt)
        res: dict[str, Any] = {
            "id": self.uid(), "package_id": pkg["id"], "name": f"{pkg['title']}（{label}）",
            "description": "", "format": fmt, "url": f"{{base}}/{path}", "mimetype": MIMETYPES[fmt],
            "size": None if fmt == "API" else size, "created": _ts(created),
            "last_modified": _ts(modified) if rng.random() < 0.8 else None,  # CKAN often leaves it null
            "position": position, "state": "active", "url_type": None, "hash": "", "datastore_active": False}
        # ~55% of all CSV/XLSX resources documented: the rate is higher here because dead links have none.
        if fmt in ("CSV", "XLSX", "XLS") and path in DATA_FILES and rng.random() < 0.62:
            res["schema"] = self._schema(DATA_FILES[path])
        return res

    def _tags(self, dept: Department) -> list[dict[str, Any]]:
        if self.rng.random() < 0.1:
            return []
        names = [dict(GROUPS)[dept.group], dept.title.removeprefix("市")]
        names += self.rng.sample(EXTRA_TAGS, self.rng.randint(0, 2))
        return [{"id": self.tag_ids.setdefault(n, self.uid()), "name": n, "display_name": n,
                 "state": "active", "vocabulary_id": None} for n in dict.fromkeys(names)]

    def _notes(self, dept: Department, title: str, freq: str | None, data: str) -> str:
        roll = self.rng.random()
        if roll < 0.1:
            return ""
        if roll < 0.2:
            return title  # a description that only repeats the title
        fields = "、".join(c.name for c in DATA_FILES[data].columns) if data in DATA_FILES else ""
        text = f"本数据集由{dept.title}提供，包含{CITY}{title}。"
        text += f"主要字段包括：{fields}。" if fields else ""
        return text + f"数据更新频率：{freq or '未说明'}。"

    def _extras(self, freq: str | None, data: str, has_api: bool) -> list[dict[str, str]]:
        rng = self.rng
        extras = [("update_frequency", freq)] if freq is not None else []
        if rng.random() < 0.8:
            extras.append(("open_type", "有条件开放" if rng.random() < 0.15 else "无条件开放"))
        if rng.random() < 0.7:
            extras.append(("record_count", str(self.row_counts.get(data) or rng.randint(10, 50_000))))
        if rng.random() >= 0.15:  # the rest publish no usage statistics at all
            views = int(rng.paretovariate(1.2) * 200)
            extras += [("views", str(views)), ("downloads", str(int(views * rng.uniform(0.02, 0.4)))),
                       ("api_calls", str(rng.randint(100, 200_000) if has_api else 0))]
        return [{"key": k, "value": v} for k, v in extras]

    def _group_refs(self, dept: Department) -> list[dict[str, Any]]:
        roll = self.rng.random()
        also = ["zonghe"] if roll > 0.9 and dept.group != "zonghe" else []  # cross-listed, as portals do
        slugs = [] if roll < 0.08 else [dept.group, *also]
        keys = ("id", "name", "title", "display_name", "description", "image_display_url")
        return [{k: self.groups[s][k] for k in keys} for s in slugs]

    def package(self, dept: Department, title: str, name: str) -> dict[str, Any]:
        rng = self.rng
        freq = _weighted(rng, FREQ_WEIGHTS)
        created, modified = self._dates(freq)
        org = self.orgs[dept.slug]
        open_licence = rng.random() < 0.92
        pkg: dict[str, Any] = {
            "id": self.uid(), "name": name, "title": title, "type": "dataset", "state": "active",
            "private": False, "owner_org": org["id"], "author": dept.title, "author_email": "",
            "maintainer": dept.title if rng.random() < 0.85 else "",
            "maintainer_email": f"{dept.slug}@data.example.gov.cn" if rng.random() < 0.7 else "",
            "license_id": "cc-by" if open_licence else "",
            "license_title": "知识共享署名" if open_licence else "",
            "isopen": open_licence, "url": "", "version": None,
            "metadata_created": _ts(created), "metadata_modified": _ts(modified),
            "organization": {k: org[k] for k in ORG_KEYS},
            "groups": self._group_refs(dept), "tags": self._tags(dept),
            "relationships_as_object": [], "relationships_as_subject": []}
        count = _weighted(rng, {1: 45, 2: 35, 3: 13, 4: 7})
        pkg["resources"] = [self._resource(pkg, i, dept) for i in range(count)]
        data = pkg["resources"][0]["url"].removeprefix("{base}/")
        pkg["notes"] = self._notes(dept, title, freq, data)
        pkg["extras"] = self._extras(freq, data, any(r["format"] == "API" for r in pkg["resources"]))
        pkg["num_resources"], pkg["num_tags"] = count, len(pkg["tags"])
        return pkg


def _plant_anomalies(packages: list[dict[str, Any]], now: datetime) -> None:
    """One impossible future resource date and one schema declaring a column the file lacks."""
    packages[len(packages) // 3]["resources"][0]["last_modified"] = _ts(now + timedelta(days=45))
    for res in (r for p in packages for r in p["resources"]):
        if "schema" in res:
            res["schema"]["fields"].append({"name": "备注", "title": "备注", "type": "string",
                                            "description": "其他需要说明的事项。"})
            return


def _with_counts(owners: dict[str, dict[str, Any]], counts: Counter[str]) -> list[dict[str, Any]]:
    return [{**o, "package_count": counts[o["name"]]} for o in owners.values()]


@dataclass
class DemoPortal:
    packages: list[dict]  # CKAN package_show "result" dicts (API v3 shape)
    organizations: list[dict]  # organization_list?all_fields=true items
    groups: list[dict]  # group_list?all_fields=true items
    files: dict[str, bytes]  # path without leading slash -> body served by the demo server
    content_types: dict[str, str]  # same keys -> Content-Type header


def build_demo_portal(now: datetime, seed: int = 2019, size: int = 320) -> DemoPortal:
    """Build the demo catalogue; equal (now, seed, size) give equal packages."""
    if now.tzinfo is not None:  # CKAN timestamps are naive UTC
        now = now.astimezone(UTC).replace(tzinfo=None)
    files, types, row_counts = _build_files(Random(seed + 1))  # own stream: file bodies do not depend on size
    rng = Random(seed)
    builder = _Builder(now, rng, files, row_counts)
    packages = [builder.package(dept, title, name) for dept, title, name in _plan(rng, size)]
    _plant_anomalies(packages, now)
    org_counts = Counter(p["organization"]["name"] for p in packages)
    group_counts = Counter(g["name"] for p in packages for g in p["groups"])
    return DemoPortal(packages, _with_counts(builder.orgs, org_counts),
                      _with_counts(builder.groups, group_counts), files, types)


def _summary(portal: DemoPortal) -> None:
    resources = [r for p in portal.packages for r in p["resources"]]
    freq = Counter(next((e["value"] for e in p["extras"] if e["key"] == "update_frequency"), "(no extra)")
                   for p in portal.packages)
    groups = Counter(g["title"] for p in portal.packages for g in p["groups"] or [{"title": "(no group)"}])
    dead = sum(r["url"].startswith("{base}/files/missing/") for r in resources)
    print(f"packages: {len(portal.packages)}  resources: {len(resources)}  dead links: {dead}  "
          f"organizations: {len(portal.organizations)}  groups: {len(portal.groups)}  "
          f"files: {len(portal.files)}")
    print("formats:", dict(Counter(r["format"] or '""' for r in resources).most_common()))
    print("frequency labels:", {k or '""': v for k, v in freq.most_common()})
    print("groups:", dict(groups.most_common()))


if __name__ == "__main__":
    moment = datetime(2024, 6, 30, 12, 0, 0)
    first, second = build_demo_portal(moment), build_demo_portal(moment)
    assert first.packages == second.packages, "catalogue is not deterministic"
    assert first.files == second.files, "file bodies are not deterministic"
    _summary(first)
