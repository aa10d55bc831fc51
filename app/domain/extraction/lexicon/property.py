"""What kind of property. A bare "2BR" means an apartment (extractor.py), 'house' means nothing."""

from app.domain.enums import PropertyType

PHRASES = {
    PropertyType.APARTMENT: [
        "apartment", "apartments", "appartment", "apartement", "apartmnt", "apt", "apts", "flat", "flats",
        "condo", "آپارتمان", "اپارتمان", "آپارتمانی", "آپارتمانها", "اپارتمانی",
        "شقة", "شقق", "شقتين", "квартир*", "апартамент*",
        "apartman", "aparteman", "sha2a", "sha2ah", "shaqa", "shaqqa", "kvartir*",
    ],
    PropertyType.VILLA: [
        "villa", "villas", "vila", "villla", "ویلا", "ویلای", "ویلایی", "ویلاها", "ویلاهای",
        "فيلا", "فلة", "فيلة", "فلل", "فله",
        "вилла", "виллу", "виллы", "вилле", "виллой", "вилл", "виллами", "villu", "villy",
    ],
    PropertyType.TOWNHOUSE: [
        "townhouse", "townhouses", "town house", "townhose", "townhome", "تاون هاوس", "تاونهاوس",
        "таунхаус*",
    ],
    PropertyType.PENTHOUSE: [
        "penthouse", "penthouses", "پنت هاوس", "پنتهاوس", "بنتهاوس", "بنت هاوس", "пентхаус*",
    ],
    PropertyType.STUDIO: [
        "studio", "studios", "studio apartment", "استودیو", "استوديو", "ستوديو",
        "студия", "студию", "студии", "студией",
    ],
    PropertyType.LAND: [
        "land", "plot", "plots", "land plot", "زمین", "ارض", "أرض", "قطعة ارض", "قطعة أرض",
        "участок", "участка", "участки", "земля", "землю", "земельный участок", "zamin", "uchastok",
    ],
    PropertyType.COMMERCIAL: [
        "commercial", "office", "offices", "shop", "retail", "warehouse", "showroom",
        "تجاری", "دفتر", "مغازه", "اداری", "تجاري", "مكتب", "محل", "محل تجاري", "مستودع",
        "офис", "офисы", "коммерческ*", "магазин", "склад",
    ],
}  # fmt: skip
