"""The labelled messages (labelled_*.jsonl) and how the extractor scores on them."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.extraction import extract

HERE = Path(__file__).parent
# The agency the messages were written to: its own areas, its country
KNOWN_AREAS = (
    "Dubai Marina",
    "Downtown Dubai",
    "Palm Jumeirah",
    "Business Bay",
    "JVC",
    "Dubai Hills Estate",
    "Creek Vista Towers",
)
REGION = "AE"
FIELDS = (
    "transaction_type",
    "purpose",
    "property_type",
    "bedrooms",
    "location",
    "budget_min",
    "budget_max",
    "payment_method",
    "phone",
)


@dataclass(frozen=True)
class Message:
    lang: str
    text: str
    want: dict[str, Any]


def load() -> list[Message]:
    messages = []
    for path in sorted(HERE.glob("labelled_*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                messages.append(Message(row["lang"], row["text"], row["want"]))
    return messages


def read(message: Message) -> dict[str, Any]:
    found = extract(message.text, known_areas=KNOWN_AREAS, default_region=REGION).values()
    return {k: (v.value if hasattr(v, "value") else v) for k, v in found.items()}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Score:
    by_field: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    by_lang: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    cells: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    total: Counts = field(default_factory=Counts)
    mistakes: list[str] = field(default_factory=list)

    def add(self, message: Message, got: dict[str, Any]) -> None:
        for name in FIELDS:
            want, have = message.want.get(name), got.get(name)
            outcome = Counts()
            if have is not None and have == want:
                outcome.tp = 1
            else:
                outcome.fp = int(have is not None)
                outcome.fn = int(want is not None)
                if outcome.fp or outcome.fn:
                    self.mistakes.append(
                        f"[{message.lang}] {name}: want {want!r}, got {have!r}  <- {message.text}"
                    )
            for counts in (
                self.by_field[name],
                self.by_lang[message.lang],
                self.cells[(name, message.lang)],
                self.total,
            ):
                counts.tp += outcome.tp
                counts.fp += outcome.fp
                counts.fn += outcome.fn

    def table(self) -> str:
        langs = sorted(self.by_lang)
        head = f"{'field':<17}" + "".join(f"{lang:>12}" for lang in langs) + f"{'all':>12}"
        lines = ["precision / recall per field and language", head]
        for name in FIELDS:
            row = f"{name:<17}"
            for lang in langs:
                c = self.cells[(name, lang)]
                row += f"{c.precision:>6.2f}/{c.recall:<5.2f}"
            c = self.by_field[name]
            row += f"{c.precision:>6.2f}/{c.recall:<5.2f}"
            lines.append(row)
        row = f"{'all fields':<17}"
        for lang in langs:
            c = self.by_lang[lang]
            row += f"{c.precision:>6.2f}/{c.recall:<5.2f}"
        row += f"{self.total.precision:>6.2f}/{self.total.recall:<5.2f}"
        lines.append(row)
        lines.append(
            f"values: {self.total.tp} right, {self.total.fp} wrong or unwanted, {self.total.fn} missed"
        )
        return "\n".join(lines)


def score(messages: list[Message]) -> Score:
    result = Score()
    for message in messages:
        result.add(message, read(message))
    return result


if __name__ == "__main__":
    s = score(load())
    print(s.table())
    print("\n".join(s.mistakes))
