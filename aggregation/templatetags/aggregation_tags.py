"""Template helpers of the dashboards: percentages, rate buckets and the tile-grid map of Japan."""
from django import template

register = template.Library()

# The 47 prefectures as tiles on a 13 x 9 grid (column, row), roughly where they lie:
# Hokkaido top right, Okinawa bottom left. Names are shortened to fit a tile.
TILES = {
    "01": ("北海道", 12, 0), "02": ("青森", 12, 1), "03": ("岩手", 12, 2), "04": ("宮城", 12, 3),
    "05": ("秋田", 11, 2), "06": ("山形", 11, 3), "07": ("福島", 12, 4), "08": ("茨城", 11, 5),
    "09": ("栃木", 11, 4), "10": ("群馬", 10, 4), "11": ("埼玉", 10, 5), "12": ("千葉", 11, 6),
    "13": ("東京", 10, 6), "14": ("神奈川", 9, 6), "15": ("新潟", 10, 3), "16": ("富山", 9, 3),
    "17": ("石川", 8, 3), "18": ("福井", 7, 4), "19": ("山梨", 9, 5), "20": ("長野", 9, 4),
    "21": ("岐阜", 8, 4), "22": ("静岡", 8, 6), "23": ("愛知", 8, 5), "24": ("三重", 7, 5),
    "25": ("滋賀", 6, 5), "26": ("京都", 6, 4), "27": ("大阪", 5, 5), "28": ("兵庫", 5, 4),
    "29": ("奈良", 6, 6), "30": ("和歌山", 5, 6), "31": ("鳥取", 4, 4), "32": ("島根", 3, 4),
    "33": ("岡山", 4, 5), "34": ("広島", 3, 5), "35": ("山口", 2, 5), "36": ("徳島", 4, 7),
    "37": ("香川", 4, 6), "38": ("愛媛", 3, 6), "39": ("高知", 3, 7), "40": ("福岡", 1, 5),
    "41": ("佐賀", 1, 6), "42": ("長崎", 0, 6), "43": ("熊本", 1, 7), "44": ("大分", 2, 6),
    "45": ("宮崎", 2, 7), "46": ("鹿児島", 1, 8), "47": ("沖縄", 0, 8),
}
# Response-rate classes, lowest first: (upper bound exclusive, css class, legend label).
RATE_BUCKETS = [
    (0.2, "rate-0", "20%未満"),
    (0.4, "rate-1", "20〜40%未満"),
    (0.6, "rate-2", "40〜60%未満"),
    (0.8, "rate-3", "60〜80%未満"),
    (1.01, "rate-4", "80%以上"),
]


@register.filter
def percent(value) -> str:
    """0.4567 -> '45.7%'."""
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def points(value) -> str:
    """A change of shares in percentage points: 0.05 -> '+5.0ポイント', None -> '―'."""
    if value is None:
        return "―"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{abs(float(value)) * 100:.1f}ポイント"


@register.filter
def percent_int(value) -> str:
    """0.4567 -> '46%' (for map tiles)."""
    return f"{round(float(value or 0) * 100)}%"


@register.filter
def bar_width(value) -> str:
    """A share as an SVG width attribute ('45.7%'), at least a hairline when non-zero."""
    share = float(value or 0)
    return f"{max(share * 100, 0.5 if share else 0):.1f}%"


@register.filter
def rate_class(rate) -> str:
    """The css class of a response rate (colour of a map tile)."""
    return next(css for bound, css, _ in RATE_BUCKETS if float(rate) < bound)


@register.inclusion_tag("aggregation/_map.html", takes_context=True)
def prefecture_map(context, rows):
    """Tiles of the 47 prefectures coloured by response rate, each linking to its detail."""
    by_code = {r.key: r for r in rows}
    tiles = []
    for code, (name, col, row) in TILES.items():
        data = by_code.get(code)
        tiles.append({
            "code": code, "name": name, "col": col, "row": row, "data": data,
            "css": rate_class(data.rate) if data and data.targets else "rate-none",
        })
    return {"tiles": tiles, "buckets": RATE_BUCKETS, "request": context["request"]}


@register.filter
def get(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key) if mapping else None
