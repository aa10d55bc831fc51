"""How they pay: cash, a mortgage or a developer's payment plan."""

from app.domain.enums import PaymentMethod

PHRASES = {
    PaymentMethod.CASH: [
        "cash", "full payment", "all cash", "pay in full", "paying in full", "full amount", "in full",
        "نقد", "نقدی", "نقدا", "نقداً", "کش", "پرداخت کامل", "کامل پرداخت",
        "كاش", "نقدا", "نقدي", "نقداً", "الدفع كاش", "المبلغ كامل", "دفعة واحدة", "دفعة وحدة",
        "наличн*", "нал", "наличка", "наличкой", "кэш", "кеш", "кэшем", "кешем", "полная оплата",
        "оплачу полностью", "полностью оплачу", "оплата полностью", "всю сумму сразу",
        "naghd", "naqd", "naghdi", "kash", "nalichn*",
    ],
    PaymentMethod.MORTGAGE: [
        "mortgage", "morgage", "mortage", "home loan", "bank loan", "loan", "bank finance",
        "financing", "finance", "وام", "وام بانکی", "مورگیج", "تسهیلات بانکی",
        "رهن عقاري", "تمويل", "تمويل بنكي", "التمويل العقاري", "تمويل عقاري", "قرض", "قرض بنكي",
        "ипотек*", "кредит", "vam", "ipotek*",
    ],
    PaymentMethod.INSTALLMENTS: [
        "installments", "installment", "instalments", "instalment", "payment plan", "installment plan",
        "instalments plan", "post handover", "post-handover", "on handover", "at handover",
        "اقساط", "اقساطی", "قسطی", "قسط",
        "طرح پرداخت", "پرداخت قسطی", "أقساط", "تقسيط", "بالتقسيط", "خطة دفع", "خطة سداد",
        "рассрочк*", "план оплаты", "aghsat", "ghesti", "taqsit", "rassrochk*",
    ],
}  # fmt: skip
