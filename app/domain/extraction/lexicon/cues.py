"""Words that change what a clause says: negations, questions, and clause breaks."""

# Before a field's words (up to three words before): 'not a villa', 'без ипотеки', 'مش فيلا'
NEGATIONS = [
    "not", "no", "don't", "dont", "do not", "doesn't", "never", "without", "isn't", "aren't",
    "nor", "neither", "no need", "wont", "won't", "cannot", "can't",
    "نه", "بدون",
    "لا", "مش", "مو", "ليس", "لست", "بدون", "بلا", "غير", "مب", "ما ابي", "ما أبي", "ما ابغى",
    "ما أبغى", "ما أقدر", "ما اقدر", "ما بدي", "ما اريد", "ما أريد", "ما احتاج", "ما أحتاج",
    "не", "без", "нет", "ни", "no longer", "ما عاد", "ماعاد", "دیگه نه",
]  # fmt: skip
# Right after a field's word (Persian puts the negative verb last): 'ویلا نمیخوام', 'اجاره نه'
AFTER_NEGATIONS = ["نه", "نمی*", "نیست", "نیستم", "ندارم", "نخیر", "نخواستم"]
# Either side: 'ипотека не нужна' and 'не нужна ипотека', 'mortgage not needed'
EITHER_SIDE_NEGATIONS = [
    "не нужн*", "не надо", "не хочу", "не хотим", "не интерес*", "не рассматрива*", "не могу", "нет",
    "not needed", "not required", "not interested", "больше не интерес*", "больше не нужн*",
]  # fmt: skip
# A clause that opens with one of these (in its first three words) asks, it does not tell
QUESTIONS = [
    "do you", "do u", "does", "did you", "is there", "are there", "r there", "is it", "are they",
    "any", "how much", "how many", "what", "whats", "what's", "which", "where", "when",
    "can i", "could i", "have you got", "got any", "is this", "are these",
    "آیا", "چند", "چقدر", "چه", "کجا", "کدوم", "کدام", "دارید", "دارین",
    "هل", "كم", "وش", "ايش", "شو", "عندكم", "عندك", "في عندكم", "فيه", "يوجد", "متى", "وين",
    "есть ли", "у вас есть", "сколько", "какие", "какой", "какая", "где", "можно ли", "когда",
]  # fmt: skip
# These ask wherever they stand in the clause ('ویلا ... دارید', 'есть ... ли')
QUESTIONS_ANYWHERE = ["دارید", "دارین", "ли", "есть ли", "هل", "عندكم", "do you have"]
# Words that mention a value without wanting it: 'tell me about the payment plan', 'see the flat'
MENTIONS = [
    "tell me about", "tell me more about", "more about", "info about", "details about", "details on",
    "view the", "see the", "visit the",
    "my office", "i work in", "i work at", "i live in", "we live in", "currently in", "currently living",
    "کار من", "محل کارم", "ساکن", "ساکنم", "ساكن في", "اسكن في", "أسكن في", "نسكن في", "شغلي في",
    "я живу в", "живу в", "живем в", "работаю в", "мой офис",
    "درباره", "اطلاعات", "ببینم", "بازدید",
    "معلومات عن", "تفاصيل", "اشوف", "أشوف", "نشوف", "معاينة",
    "расскажите о", "расскажите про", "подробнее о", "подробнее про", "посмотреть", "просмотр",
]  # fmt: skip
# A message asking about a listing it points at: all of it is a question, nothing in it a wish
ABOUT_A_LISTING = [
    "you posted", "you listed", "you advertised", "still available", "is it available", "is this available",
    "که گذاشتید", "که گذاشتین", "هنوز هست", "هنوز موجوده", "موجود هست",
    "لسه متوفر", "لسا متوفر", "مازال متوفر", "لا يزال متوفر", "اللي نزلتوه", "اللي نزلتوها",
    "вы выложили", "вы разместили", "еще доступн*", "еще актуальн*", "из объявления",
]  # fmt: skip
# What they have or leave, not what they want: 'from our apartment to a villa', 'из квартиры в виллу'
FROM_WHAT_THEY_HAVE = [
    "from", "from our", "from my", "instead of", "از", "به جای", "بجای", "من", "بدل", "بدلا من",
    "из", "вместо",
]  # fmt: skip
# Start a new clause: what follows is read apart ('a villa, but do you have townhouses?')
BREAKS = ["but", "however", "though", "ولی", "اما", "لكن", "لاكن", "بس", "بل", "но", "однако"]
# Stop a negation reaching further back: 'no mortgage and cash' negates only the mortgage
JOINS = ["and", "&", "also", "so", "و", "и", "also"]
