"""Chinese aliases for the demo catalog, so a Chinese query can meet an English product text.

The catalog is English (names, categories, colours, materials). A multilingual encoder maps
防水夹克 near "waterproof jacket", but matching gets much better when the product text also
carries the Chinese words a shopper would type (benchmarks/bench_crosslingual.py measures
both). :func:`alias_text` builds that Chinese text from a product's English fields; it is
pure data lookup, so the index builder can append it without a translator or a network.

Values are space-separated synonyms (跑步鞋 跑鞋 运动鞋): Chinese shoppers use several.
Keys are lower-case English. Model names (Nimbus, Tempo, Ridge...) and suffixes (Pro, II) are
kept English on purpose: a shopper types them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "CATEGORY_ZH",
    "COLOR_ZH",
    "MATERIAL_ZH",
    "WORD_ZH",
    "WORD_ZH_BY_CATEGORY",
    "alias_terms",
    "alias_text",
]

#: Leaf and parent categories of the demo catalog.
CATEGORY_ZH: dict[str, str] = {
    "jackets": "夹克 外套 冲锋衣",
    "t-shirts": "T恤 短袖",
    "hoodies": "卫衣 连帽衫",
    "pants": "裤子 长裤",
    "socks": "袜子",
    "running shoes": "跑步鞋 跑鞋 运动鞋",
    "hiking boots": "登山靴 登山鞋 徒步鞋",
    "sandals": "凉鞋 拖鞋",
    "backpacks": "背包 双肩包",
    "tents": "帐篷 露营",
    "water bottles": "水壶 水杯 水瓶",
    "kitchen": "厨房用品 厨具",
    "bedding": "床上用品 床品",
    "lighting": "灯具 照明",
    "headphones": "耳机",
    "speakers": "音箱 音响",
    "chargers": "充电器 充电设备",
    "skincare": "护肤品 护肤",
    "hair care": "护发 洗护用品",
    "building sets": "积木 拼装玩具",
    "puzzles": "拼图",
    "yoga": "瑜伽用品 瑜伽",
    "fitness": "健身器材 健身",
    "cycling": "骑行装备 自行车配件",
    "apparel": "服装",
    "footwear": "鞋类",
    "outdoor": "户外用品",
    "home": "家居",
    "electronics": "数码电子",
    "beauty": "美妆个护",
    "toys": "玩具",
    "sports": "运动",
}

COLOR_ZH: dict[str, str] = {
    "black": "黑色",
    "white": "白色",
    "navy": "藏青色 海军蓝",
    "charcoal": "炭灰色 深灰色",
    "olive": "橄榄绿 军绿色",
    "red": "红色",
    "blue": "蓝色",
    "green": "绿色",
    "grey": "灰色",
    "gray": "灰色",
    "sand": "沙色 卡其色",
    "burgundy": "酒红色",
    "teal": "青色 蓝绿色",
    "orange": "橙色",
    "pink": "粉色",
    "forest green": "墨绿色 森林绿",
    "slate": "石板灰 蓝灰色",
}

#: Whole material strings as the seed writes them (``materials`` is a comma-separated list).
MATERIAL_ZH: dict[str, str] = {
    "recycled polyester": "再生聚酯纤维 环保面料",
    "800-fill responsibly sourced down": "800蓬羽绒 鹅绒",
    "nylon ripstop": "防撕裂尼龙",
    "merino lining": "美利奴羊毛内衬",
    "organic cotton": "有机棉 纯棉",
    "cotton-modal blend": "棉莫代尔混纺",
    "merino wool": "美利奴羊毛",
    "brushed cotton fleece": "磨毛棉抓绒",
    "french terry": "法式毛圈布",
    "recycled cotton blend": "再生棉混纺",
    "stretch twill": "弹力斜纹布",
    "cotton canvas": "棉帆布",
    "nylon-spandex": "尼龙氨纶",
    "organic denim": "有机牛仔布",
    "merino wool blend": "美利奴羊毛混纺",
    "cotton-nylon blend": "棉尼龙混纺",
    "engineered mesh upper": "透气网面鞋面",
    "eva foam midsole": "EVA缓震中底",
    "carbon-fiber plate": "碳板",
    "rubber outsole": "橡胶大底",
    "full-grain leather": "头层真皮 全粒面皮革",
    "waterproof membrane": "防水膜 防水",
    "vibram outsole": "Vibram大底 防滑大底",
    "suede and mesh": "翻毛皮 网布",
    "cork footbed": "软木鞋床",
    "recycled rubber": "再生橡胶",
    "quick-dry webbing": "速干织带",
    "ripstop nylon": "防撕裂尼龙",
    "recycled polyester canvas": "再生聚酯帆布",
    "waxed cotton": "油蜡棉布",
    "dyneema composite": "迪尼玛复合面料",
    "silnylon fly": "硅尼龙外帐",
    "aluminum poles": "铝合金帐杆",
    "polyester mesh": "聚酯网纱",
    "coated ripstop floor": "涂层防撕裂底布",
    "18/8 stainless steel": "18/8不锈钢",
    "bpa-free tritan": "不含双酚A Tritan",
    "food-grade silicone": "食品级硅胶",
    "pre-seasoned cast iron": "预开锅铸铁",
    "german stainless steel": "德国不锈钢",
    "fsc bamboo": "FSC认证竹",
    "stoneware": "炻器 陶瓷",
    "stonewashed linen": "水洗亚麻",
    "long-staple cotton": "长绒棉",
    "tencel lyocell": "天丝 莱赛尔",
    "down alternative fill": "仿羽绒填充",
    "brushed aluminum": "拉丝铝",
    "linen shade": "亚麻灯罩",
    "recycled abs": "再生ABS塑料",
    "solid oak base": "实木橡木底座",
    "memory foam ear cushions": "记忆海绵耳罩",
    "aluminum housing": "铝合金外壳",
    "sweat-resistant silicone": "防汗硅胶",
    "fabric grille": "织物网罩",
    "anodized aluminum": "阳极氧化铝",
    "rubberized shell": "橡胶外壳",
    "braided nylon": "尼龙编织",
    "fire-resistant polycarbonate": "阻燃聚碳酸酯",
    "aluminum": "铝合金",
    "hyaluronic acid": "玻尿酸 透明质酸",
    "niacinamide": "烟酰胺",
    "aloe vera": "芦荟",
    "zinc oxide": "氧化锌 物理防晒",
    "shea butter": "乳木果油",
    "argan oil": "摩洛哥坚果油 阿甘油",
    "keratin": "角蛋白",
    "tea tree oil": "茶树精油",
    "coconut oil": "椰子油",
    "abs plastic": "ABS塑料",
    "fsc-certified wood": "FSC认证木材",
    "recycled plastic": "再生塑料",
    "recycled board": "再生纸板",
    "birch plywood": "桦木胶合板",
    "matte linen-finish print": "哑光亚麻纹印刷",
    "natural tree rubber": "天然橡胶",
    "cork": "软木",
    "tpe foam": "TPE材质",
    "recycled nylon": "再生尼龙",
    "cast iron": "铸铁",
    "natural latex": "天然乳胶",
    "high-density foam": "高密度泡棉",
    "steel": "钢制",
    "eps foam": "EPS泡沫",
    "polycarbonate shell": "聚碳酸酯外壳",
    "hardened steel": "淬火钢",
}

#: Words and phrases of product names (adjectives and nouns), one meaning for every category.
WORD_ZH: dict[str, str] = {
    # apparel
    "fleece": "抓绒",
    "down": "羽绒服 羽绒",
    "rain": "防雨 防水 雨衣",
    "softshell": "软壳",
    "insulated": "保暖 棉服",
    "packable": "可收纳 轻便",
    "quilted": "绗缝",
    "storm": "防风 防暴雨",
    "jacket": "夹克",
    "parka": "派克大衣 派克服",
    "anorak": "套头冲锋衣",
    "shell": "硬壳冲锋衣",
    "vest": "马甲 背心",
    "classic": "经典款",
    "organic": "有机",
    "performance": "速干 运动",
    "everyday": "日常",
    "vintage": "复古",
    "slub": "竹节棉",
    "pocket": "口袋",
    "trail": "户外 越野",
    "tee": "T恤",
    "t-shirt": "T恤",
    "crew tee": "圆领T恤",
    "v-neck": "V领T恤",
    "henley": "亨利领T恤",
    "heavyweight": "加厚 重磅",
    "zip": "拉链",
    "cozy": "舒适",
    "terry": "毛圈",
    "oversized": "宽松 oversize",
    "midweight": "中厚",
    "campus": "校园风",
    "hoodie": "连帽卫衣",
    "pullover": "套头衫",
    "sweatshirt": "卫衣",
    "zip hoodie": "拉链连帽卫衣 开衫卫衣",
    "stretch": "弹力",
    "cargo": "工装",
    "chino": "卡其休闲",
    "jogger": "束脚运动裤 卫裤",
    "slim": "修身",
    "relaxed": "宽松",
    "utility": "多口袋 工装",
    "pant": "长裤",
    "trouser": "长裤 西裤",
    "short": "短裤",
    "cushioned": "加厚 缓震",
    "merino": "美利奴羊毛",
    "ankle": "船袜 短袜",
    "crew": "中筒",
    "compression": "压缩",
    "hiking": "徒步 登山",
    "running": "跑步",
    "no-show": "隐形袜",
    "sock": "袜子",
    "sock 3-pack": "袜子 三双装",
    "crew sock": "中筒袜",
    "trail sock": "越野袜 徒步袜",
    # footwear
    "running shoe": "跑步鞋",
    "trail runner": "越野跑鞋",
    "racer": "竞速跑鞋",
    "road shoe": "路跑鞋",
    "alpine": "高山",
    "hiking boot": "登山靴",
    "mid boot": "中帮靴",
    "approach shoe": "接近鞋",
    "trail boot": "徒步靴",
    "coastal": "海边",
    "sport": "运动",
    "river": "溯溪",
    "slide": "拖鞋",
    "strappy": "绑带",
    "boardwalk": "海滨",
    "sandal": "凉鞋",
    "flip-flop": "人字拖",
    "water sandal": "涉水凉鞋 溯溪鞋",
    # outdoor
    "daypack": "日用小背包",
    "commuter": "通勤",
    "rolltop": "卷口",
    "ultralight": "超轻",
    "expedition": "远征 大容量",
    "urban": "城市",
    "backpack": "双肩包",
    "pack 22l": "22升背包",
    "pack 30l": "30升背包",
    "travel pack": "旅行背包",
    "hydration pack": "水袋背包",
    "backcountry": "野外",
    "family": "家庭",
    "dome": "圆顶",
    "trekking": "徒步",
    "four-season": "四季",
    "pop-up": "速开 自动",
    "2-person tent": "双人帐篷",
    "4-person tent": "四人帐篷",
    "tent": "帐篷",
    "shelter": "庇护所 天幕帐篷",
    "tarp": "天幕",
    "collapsible": "可折叠",
    "stainless": "不锈钢",
    "wide-mouth": "广口",
    "filter": "过滤",
    "bottle": "水瓶 水壶",
    "flask": "保温壶",
    "tumbler": "随行杯",
    "hydration bottle": "运动水壶",
    # home
    "cast iron": "铸铁",
    "nonstick": "不粘",
    "ceramic": "陶瓷",
    "bamboo": "竹制",
    "chef's": "主厨",
    "copper": "铜",
    "skillet": "平底锅 煎锅",
    "knife": "刀 菜刀",
    "cutting board": "砧板 菜板",
    "saucepan": "汤锅 奶锅",
    "french press": "法压壶 咖啡壶",
    "mixing bowl set": "搅拌碗套装",
    "linen": "亚麻",
    "percale": "精梳棉平纹",
    "sateen": "贡缎",
    "flannel": "法兰绒",
    "waffle": "华夫格",
    "cooling": "凉感",
    "sheet set": "床单套装 床单",
    "duvet cover": "被套",
    "pillow": "枕头",
    "throw blanket": "盖毯 沙发毯",
    "quilt": "被子 绗缝被",
    "dimmable": "可调光",
    "smart": "智能",
    "rechargeable": "充电式",
    "arc": "弧形",
    "minimal": "极简",
    "led": "LED",
    "camp": "露营",
    "desk lamp": "台灯",
    "floor lamp": "落地灯",
    "headlamp": "头灯",
    "lantern": "营地灯 提灯",
    "string lights": "灯串 串灯",
    # electronics
    "wireless": "无线 蓝牙",
    "noise-cancelling": "降噪",
    "open-ear": "开放式",
    "over-ear": "头戴式",
    "true wireless": "真无线",
    "bass": "重低音",
    "headphones": "耳机",
    "earbuds": "入耳式耳机 耳塞",
    "headset": "头戴耳机 耳麦",
    "in-ear monitors": "入耳式监听耳机",
    "portable": "便携",
    "waterproof": "防水",
    "bookshelf": "书架式",
    "party": "派对",
    "mini": "迷你",
    "rugged": "三防 坚固",
    "speaker": "音箱",
    "soundbar": "回音壁 条形音箱",
    "bluetooth speaker": "蓝牙音箱",
    "subwoofer": "低音炮",
    "fast": "快充",
    "solar": "太阳能",
    "compact": "小巧",
    "dual-port": "双口",
    "travel": "旅行 便携",
    "magnetic": "磁吸",
    "gan": "氮化镓",
    "charger": "充电器",
    "power bank": "充电宝 移动电源",
    "charging pad": "无线充电板",
    "usb-c cable": "USB-C数据线 充电线",
    # beauty
    "hydrating": "补水保湿",
    "gentle": "温和",
    "brightening": "提亮 美白",
    "daily": "日常",
    "mineral": "矿物",
    "renewing": "焕肤",
    "soothing": "舒缓",
    "clarifying": "净化",
    "moisturizer": "面霜 保湿霜",
    "cleanser": "洁面乳 洗面奶",
    "serum": "精华液",
    "sunscreen spf 30": "防晒霜 SPF30",
    "face mask": "面膜",
    "repair": "修护",
    "volumizing": "蓬松",
    "curl": "卷发",
    "argan": "摩洛哥坚果油",
    "smoothing": "柔顺",
    "scalp": "头皮护理",
    "shampoo": "洗发水",
    "conditioner": "护发素",
    "hair oil": "护发精油",
    "styling cream": "造型霜",
    "hair mask": "发膜",
    # toys
    "creative": "创意",
    "space": "太空",
    "city": "城市",
    "castle": "城堡",
    "robot": "机器人",
    "marble run": "弹珠轨道",
    "deluxe": "豪华",
    "starter": "入门",
    "building set": "积木套装",
    "brick kit": "拼砖积木",
    "construction set": "拼装积木",
    "stem kit": "STEM科学玩具",
    "landscape": "风景",
    "wildlife": "野生动物",
    "map": "地图",
    "gradient": "渐变",
    "mystery": "神秘",
    "art": "艺术名画",
    "1000-piece puzzle": "1000片拼图",
    "500-piece puzzle": "500片拼图",
    "3d puzzle": "立体拼图 3D拼图",
    "puzzle box": "拼图盒",
    # sports
    "eco": "环保",
    "grip": "防滑",
    "cork": "软木",
    "balance": "平衡",
    "flow": "流瑜伽",
    "yoga mat": "瑜伽垫",
    "yoga block": "瑜伽砖",
    "yoga strap": "瑜伽伸展带",
    "mat towel": "瑜伽铺巾",
    "legging": "瑜伽裤 紧身裤",
    "adjustable": "可调节",
    "home": "家用",
    "resistance": "阻力",
    "power": "力量",
    "core": "核心",
    "heavy-duty": "加重 耐用",
    "dumbbell set": "哑铃套装 哑铃",
    "kettlebell": "壶铃",
    "resistance bands": "弹力带",
    "jump rope": "跳绳",
    "foam roller": "泡沫轴",
    "aero": "气动",
    "gravel": "砾石",
    "road": "公路",
    "night": "夜骑",
    "endurance": "耐力",
    "helmet": "头盔",
    "bike light": "自行车灯 车灯",
    "cycling jersey": "骑行服",
    "saddle bag": "坐垫包",
    "bike lock": "自行车锁 车锁",
}

#: Where a word means something else in one category (an empty value: leave it English).
WORD_ZH_BY_CATEGORY: dict[str, dict[str, str]] = {
    "water bottles": {"insulated": "保温", "trail": "户外", "sport": "运动"},
    "bedding": {"cloud": "云朵般柔软", "organic": "有机棉"},
    "backpacks": {"trail": "徒步", "summit": "登山"},
    "pants": {"trail": "徒步 户外"},
    "cycling": {"trail": "山地", "commuter": "通勤", "urban": "城市"},
    "hair care": {"clarifying": "清爽 控油", "repair": "修护 受损发质"},
    "headphones": {"studio": "录音室 监听", "sport": "运动"},
    "speakers": {"studio": "监听 录音室"},
    "yoga": {"studio": "专业", "travel": "旅行便携", "cushioned": "加厚"},
    "kitchen": {"pro": "专业"},
    "fitness": {"pro": "专业"},
    "tents": {"basecamp": "营地", "ultralight": "超轻"},
    "socks": {"cushioned": "加厚 缓震"},
    "sandals": {"everyday": "日常", "sport": "运动"},
}

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'/.+-]*")
_LONGEST_PHRASE = 4


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _phrases(text: str, table: dict[str, str], local: dict[str, str]) -> list[str]:
    """Longest-match lookup of the words of ``text``, category meanings first."""
    tokens = _TOKEN.findall(text.lower())
    found: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(_LONGEST_PHRASE, len(tokens) - i), 0, -1):
            key = " ".join(tokens[i : i + n])
            if key in local or key in table:
                value = local[key] if key in local else table[key]
                if value:
                    found.append(value)
                i += n
                break
        else:
            i += 1
    return found


def alias_terms(
    name: str,
    category: str,
    colors: Iterable[str] = (),
    materials: str = "",
    brand: str = "",
) -> list[str]:
    """Chinese alias groups of one product: name words, category, colours, materials (no repeats).

    The brand is taken off the start of the name first, so a brand such as "Basecamp Co."
    does not read as a product word.
    """
    cat = _norm(category)
    local = WORD_ZH_BY_CATEGORY.get(cat, {})
    stem = name
    if brand and _norm(name).startswith(_norm(brand)):
        stem = name.strip()[len(brand.strip()) :]
    groups = _phrases(stem, WORD_ZH, local)
    if cat in CATEGORY_ZH:
        groups.append(CATEGORY_ZH[cat])
    groups.extend(COLOR_ZH[c] for c in (_norm(c) for c in colors) if c in COLOR_ZH)
    for material in (m.strip() for m in materials.split(",")):
        key = _norm(material)
        if key in MATERIAL_ZH:
            groups.append(MATERIAL_ZH[key])
        elif key:
            groups.extend(_phrases(key, WORD_ZH, local))
    return list(dict.fromkeys(groups))


def alias_text(
    name: str,
    category: str,
    colors: Iterable[str] = (),
    materials: str = "",
    brand: str = "",
) -> str:
    """One Chinese line for a product: ``防雨 派克大衣。夹克 外套。颜色：黑色。材质：防撕裂尼龙``.

    Empty when nothing is known (a merchant's own category with no alias).
    """
    cat = _norm(category)
    colors = list(colors)
    color_groups = [COLOR_ZH[c] for c in (_norm(c) for c in colors) if c in COLOR_ZH]
    terms = alias_terms(name, category, (), "", brand)
    material_terms = [t for t in alias_terms("", "", (), materials) if t not in terms]
    words = [t for t in terms if t != CATEGORY_ZH.get(cat)]
    parts = [" ".join(words), CATEGORY_ZH.get(cat, "")]
    if color_groups:
        parts.append("颜色：" + " ".join(dict.fromkeys(color_groups)))
    if material_terms:
        parts.append("材质：" + " ".join(material_terms))
    return "。".join(p for p in parts if p)


#: How a word reads inside a Chinese product name where its first alias reads as a noun of
#: its own (羽绒服 is "a down jacket"; in 羽绒夹克 the word is 羽绒). A category's own
#: meaning (保温 for a bottle) still wins.
NAME_ZH: dict[str, str] = {
    "down": "羽绒",
    "rain": "防雨",
    "storm": "防风",
    "insulated": "保暖",
}


def chinese_name(name: str, category: str, brand: str = "") -> str:
    """A product's Chinese display name, e.g. ``Kestrel 可收纳套头冲锋衣 Plus``.

    ``Kestrel Packable Anorak Plus`` (category Jackets, brand Kestrel) gives the example.
    The brand, model names and suffixes stay as written; each known word takes its first
    alias (its category meaning first). Empty when no word is known: a name left all
    English is no Chinese name.
    """
    local = WORD_ZH_BY_CATEGORY.get(_norm(category), {})
    words = name.split()
    brand_words = brand.split()
    head: list[str] = []
    if brand_words and [w.lower() for w in words[: len(brand_words)]] == [w.lower() for w in brand_words]:
        head, words = words[: len(brand_words)], words[len(brand_words) :]
    pieces: list[tuple[bool, str]] = [(False, w) for w in head]  # (is Chinese, text)
    translated = False
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            key = " ".join(words[i : i + n]).lower()
            value = local.get(key, WORD_ZH.get(key))
            if value is not None:
                shown = value.split()[0] if key in local or key not in NAME_ZH else NAME_ZH[key]
                zh = shown if value else ""
                pieces.append((True, zh) if zh else (False, " ".join(words[i : i + n])))
                translated = translated or bool(zh)
                i += n
                break
        else:
            pieces.append((False, words[i]))
            i += 1
    if not translated:
        return ""
    out = ""
    for k, (is_zh, text) in enumerate(pieces):
        glue = "" if k == 0 or (is_zh and pieces[k - 1][0]) else " "
        out += glue + text
    return out
