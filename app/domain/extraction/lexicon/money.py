"""The words around an amount: multipliers, currencies, periods, 'up to' and 'from'."""

THOUSAND, MILLION, BILLION = 1_000, 1_000_000, 1_000_000_000

MULTIPLIERS = {
    THOUSAND: [
        "k", "к", "thousand", "thousands", "grand", "тыс", "тысяч*", "тыщ", "тыщи", "тыс.", "هزار",
        "ألف", "الف", "آلاف", "الاف",
    ],
    MILLION: [
        "m", "mm", "mn", "mln", "mil", "mill", "million", "millions", "млн", "миллион*", "лям", "ляма",
        "лямов", "лямa", "میلیون", "ملیون", "مليون", "ملايين", "مليونا", "ملیون",
    ],
    BILLION: ["b", "bn", "billion", "млрд", "миллиард*", "میلیارد", "ملیارد", "مليار"],
}  # fmt: skip
# One word that is a count and a multiplier: 'مليونين' is two million
COUNTED = {(2, MILLION): ["مليونين", "مليونان"], (2, THOUSAND): ["الفين", "ألفين"]}

AED, USD = "AED", "USD"
USD_TO_AED = 3.6725  # the dirham's fixed peg
CURRENCIES = {
    AED: ["aed", "dhs", "dh", "dirham", "dirhams", "درهم", "دراهم", "درهمه", "дирхам*", "дирх"],
    USD: ["usd", "$", "dollar", "dollars", "دلار", "دولار", "долл*", "бакс*"],
    "EUR": ["eur", "euro", "euros", "€", "یورو", "يورو", "евро"],
    "GBP": ["gbp", "£", "pounds", "استرلینی"],
    "RUB": ["rub", "руб*"],
    "IRR": ["تومان", "تومن", "ریال"],
}  # fmt: skip

# Per month is made yearly (rents in the UAE are quoted per year)
PER_MONTH = [
    "a month", "per month", "/month", "/ month", "/mo", "monthly", "pcm", "p/m",
    "ماهی", "ماهانه", "ماهیانه", "در ماه", "شهريا", "شهري", "الشهري", "بالشهر", "في الشهر",
    "в месяц", "ежемесячно", "месячн*",
]  # fmt: skip
PER_YEAR = [
    "a year", "per year", "/year", "/yr", "/ year", "yearly", "annual", "annually", "per annum", "pa",
    "p.a", "yr", "سالی", "سالانه", "در سال", "سالیانه", "سنويا", "سنوي", "بالسنة", "في السنة",
    "السنوي", "в год", "годовых", "ежегодно", "годовая",
]  # fmt: skip

# Before one amount: the most they will pay, or the least
AT_MOST = [
    "up to", "upto", "under", "below", "max", "maximum", "less than", "within", "not more than",
    "no more than", "not exceeding", "not above", "nothing above", "nothing over", "not over", "till",
    "until",
    "تا", "زیر", "کمتر از", "حداکثر", "نهایتا", "نهایتاً", "تا سقف", "سقف",
    "حتى", "لحد", "لغاية", "الى حد", "أقل من", "اقل من", "بأقل من", "باقل من", "تحت", "بحد أقصى",
    "كحد أقصى", "حد أقصى", "ماكس", "لا يتجاوز", "ما يتعدى",
    "до", "не более", "не больше", "максимум", "макс", "меньше", "менее", "ниже", "в пределах",
]  # fmt: skip
AT_LEAST = [
    "from", "min", "minimum", "at least", "starting", "starting from", "above", "over", "more than",
    "حداقل", "بالای", "بیشتر از", "از",
    "على الأقل", "ع الاقل", "أكثر من", "اكثر من", "فوق",
    "от", "минимум", "не менее", "не меньше", "больше", "более", "свыше",
]  # fmt: skip
# Arabic 'من' is 'from', Persian 'من' is 'I': it says 'from' only in Arabic text
AT_LEAST_IN_ARABIC = ["من"]
# After one amount: '30M+', '2M and above'
AND_ABOVE = [
    "+",
    "and above",
    "or more",
    "plus",
    "و بالاتر",
    "به بالا",
    "وما فوق",
    "و فوق",
    "и выше",
    "и более",
]
# Between two amounts of a range
RANGE_JOIN = ["-", "to", "till", "and", "تا", "الی", "الى", "إلى", "و", "до", "и", "/"]
# Words that say an amount is a budget
CUES = [
    "budget", "price", "priced", "cost", "around", "about", "approx", "approximately", "~",
    "بودجه", "بودجم", "بودجمون", "قیمت", "حدود", "حدودا", "تقریبا",
    "ميزانية", "ميزانيتي", "الميزانية", "ميزانيه", "سعر", "حوالي", "تقريبا", "بحدود",
    "бюджет", "бюджетом", "цена", "около", "примерно", "порядка", "за",
]  # fmt: skip
# After a number: not money
AREA_UNITS = [
    "sqft", "sq ft", "sq.ft", "sq", "sqm", "ft", "feet", "m2", "meters", "metres", "متر", "مترى", "فوت",
    "قدم", "кв", "квм", "метров", "м2", "years", "year old", "سال", "سنوات", "лет", "года",
    "floor", "طبقه", "طابق", "этаж", "минут", "minutes", "min walk", "دقیقه", "دقائق",
]  # fmt: skip
