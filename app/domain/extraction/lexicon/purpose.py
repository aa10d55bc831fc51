"""Why they buy: to live in it, to invest (including letting it out), or for a residence visa."""

from app.domain.enums import Purpose

PHRASES = {
    Purpose.LIVING: [
        "to live", "for living", "for my family", "for the family", "for family",
        "with my family", "with family", "با خانواده", "با خانوادم", "مع العائلة", "مع عائلتي", "с семьей",
        "всей семьей",
        "for myself", "for ourselves", "first home", "our home", "own use", "end user", "end-user",
        "relocating", "moving to",
        "برای زندگی", "زندگی کنیم", "زندگی کنم", "سکونت", "برای خودم", "برای خانواده",
        "للسكن", "سكن", "للعيش", "للعائلة", "لعائلتي", "لعايلتي", "للعايله",
        "для жизни", "для себя", "для проживания", "для семьи", "жить", "переезжаем", "переезжаю",
    ],
    Purpose.INVESTMENT: [
        "invest", "investing", "investment", "investor", "roi", "rental yield", "rental income",
        "rent out", "rent it out", "to let out", "capital appreciation", "flip",
        "سرمایه گذاری", "سرمایه‌گذاری", "سرمایه گزاری", "اجاره دادن", "اجاره بدم",
        "استثمار", "للاستثمار", "استثماري", "الاستثمار", "للتأجير",
        "инвестиц*", "инвестировать", "инвестор", "вложение", "вложения", "сдачи в аренду",
        "сдавать в аренду", "сдать в аренду", "сдавать", "под сдачу", "sarmaye gozari", "istithmar",
    ],
    Purpose.RESIDENCY: [
        "golden visa", "residency", "residence visa", "investor visa", "resident visa",
        "اقامت", "ویزای طلایی", "گلدن ویزا", "ویزای گلدن", "اقامت طلایی",
        "الإقامة الذهبية", "الاقامة الذهبية", "اقامة ذهبية", "إقامة", "اقامة", "الاقامة", "الإقامة",
        "فيزا ذهبية", "تأشيرة ذهبية", "الفيزا الذهبية", "الغولدن فيزا", "جولدن فيزا",
        "золотая виза", "золотую визу", "золотой визы", "голден виза", "голден визу", "внж", "резидентство",
        "eghamat", "iqama",
    ],
}  # fmt: skip
