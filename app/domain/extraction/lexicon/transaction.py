"""Buy or rent. Letting a property out is an investment, not a rent (see purpose.py)."""

from app.domain.enums import TransactionType

PHRASES = {
    TransactionType.BUY: [
        "buy", "buying", "buyer", "purchase", "purchasing", "to own", "for sale",
        "خرید", "بخرم", "بخریم", "بخرن", "خریدن", "خریداری", "میخرم", "می خرم",
        "شراء", "شرا", "اشتري", "أشتري", "نشتري", "ابي اشتري", "تملك", "تمليك", "للبيع",
        "купить", "куплю", "купим", "покупк*", "покупаю", "покупаем", "приобрести", "приобрету",
        "kharid", "bekharam", "kupit", "kuplyu",
    ],
    TransactionType.RENT: [
        "rent", "renting", "rental", "lease", "leasing", "to let", "yearly rent",
        "اجاره", "اجاره ای", "اجاره‌ای", "کرایه", "استیجاری",
        "ايجار", "إيجار", "الايجار", "اجار", "استئجار", "أستأجر", "استأجر", "نستأجر",
        "аренд*", "снять", "сниму", "снимем", "снимать", "арендовать",
        "ejare", "ejareh", "ijar", "ejar", "arend*", "snyat",
    ],
}  # fmt: skip
