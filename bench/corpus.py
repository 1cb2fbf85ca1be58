"""A realistic scale corpus for the benchmarks (issue 18): N results deposited from a few
signed templates with varied metadata.

What makes it realistic, compared with the first bench corpus (a few citizens with
thousands of results each):
- distinct citizens, one per three results, with a long tail: most hold one or two
  results, a few hold dozens at any size of corpus (each citizen holds at least one; the
  rest are shared by a Zipf-like law whose head is kept at dozens as N grows);
- issuers across the administrative levels (central, province, district until 2025, commune);
- issue dates spread over twenty years;
- names drawn from Vietnamese surname frequencies (Nguyễn about 38 %, Trần 11 %, Lê 9.5 %, …)
  and common middle and given names, so a common name matches many results and a rare
  one few.

The corpus is deterministic for a seed: result `i` is the same in every run, so a scale run
can be split across runs (`start`) and resumed.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["ISSUERS", "RESULT_TYPES", "SURNAMES", "Corpus", "Issuer"]

# Surnames and their approximate shares of the population (per cent), after the commonly
# cited figures for Vietnam; the rest share what is left.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 5.1),
    ("Huỳnh", 5.1),
    ("Phan", 4.5),
    ("Vũ", 3.9),
    ("Võ", 3.9),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đinh", 0.4),
    ("Trương", 0.4),
    ("Lương", 0.3),
    ("Mai", 0.3),
    ("Cao", 0.2),
    ("Tạ", 0.1),
    ("Khổng", 0.05),
    ("Âu", 0.05),
)
MIDDLE_MALE = ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Xuân", "Công", "Ngọc", "Gia")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Hồng", "Thanh", "Kim", "Minh", "Bích", "Phương", "Mai")
GIVEN_MALE = (
    "An", "Anh", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng",
    "Huy", "Khánh", "Khoa", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
    "Quang", "Sơn", "Tài", "Thắng", "Thành", "Trung", "Tuấn", "Việt", "Vinh",
)  # fmt: skip
GIVEN_FEMALE = (
    "Anh", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
    "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương",
    "Quyên", "Tâm", "Thảo", "Thủy", "Trang", "Uyên", "Vy", "Yến",
)  # fmt: skip

# (procedure_code, procedure_name, result_type, days of validity or None)
RESULT_TYPES: tuple[tuple[str, str, str, int | None], ...] = (
    ("1.001193", "Thủ tục đăng ký khai sinh", "Giấy khai sinh", None),
    (
        "1.004873",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        "Giấy xác nhận tình trạng hôn nhân",
        180,
    ),
    ("2.000488", "Thủ tục cấp Phiếu lý lịch tư pháp", "Phiếu lý lịch tư pháp", 180),
    (
        "1.012756",
        "Thủ tục cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        "Giấy chứng nhận quyền sử dụng đất",
        None,
    ),
    (
        "2.000575",
        "Thủ tục đăng ký thành lập hộ kinh doanh",
        "Giấy chứng nhận đăng ký hộ kinh doanh",
        None,
    ),
)
# How often each result type is issued (births and civil status dominate).
RESULT_TYPE_WEIGHTS = (40, 20, 15, 15, 10)


@dataclass(frozen=True)
class Issuer:
    code: str
    level: str


# Issuers across the levels: a ministry, provincial departments, districts (until July 2025),
# communes. The codes follow the national agency code shape of DOMAIN.md.
ISSUERS: tuple[Issuer, ...] = (
    Issuer("000.00.00.G12", "central"),
    *(Issuer(f"000.00.{n:02d}.H62", "province") for n in (11, 12, 15, 16, 18)),
    *(Issuer(f"000.{d:02d}.00.H62", "district") for d in range(20, 28)),
    *(Issuer(f"000.{d:02d}.{c:02d}.H62", "commune") for d in range(20, 28) for c in (31, 32, 33)),
)
_DISTRICT_END = date(2025, 6, 30)


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class Corpus:
    """The metadata of result `i` of a corpus of `n` (deterministic for the seed)."""

    def __init__(self, n: int, *, seed: int = 468, today: date | None = None) -> None:
        self.n = n
        self.seed = seed
        self.today = today or date.today()
        self.citizens = max(10, n // 3)
        self._citizen_end = self._citizen_counts(n, self.citizens)
        self._surname_cum = _cumulative([w for _, w in SURNAMES])
        self._type_cum = _cumulative(RESULT_TYPE_WEIGHTS)

    @staticmethod
    def _citizen_counts(n: int, citizens: int) -> list[int]:
        """The cumulative number of results of the citizens by popularity rank: one each,
        and the other n - citizens shared by weight 1/(rank + c)^1.1. The offset c grows
        with n (n/300, at least 10) so the heaviest citizen holds dozens (about 40-60)
        whether the corpus is 2,000 or 1,000,000, as in a real archive."""
        citizens = min(citizens, n) if n else citizens
        offset = max(10.0, n / 300)
        weights = [(r + offset) ** -1.1 for r in range(citizens)]
        total = sum(weights)
        extra = max(0, n - citizens)
        counts = [1 + int(extra * w / total) for w in weights]
        for r in range(max(0, n - sum(counts))):  # what rounding down left, to the head
            counts[r % citizens] += 1
        return list(itertools.accumulate(counts))

    def citizen_id(self, rank: int) -> str:
        """The 12-digit personal ID of the citizen of this popularity rank (0 = heaviest)."""
        rng = random.Random(f"{self.seed}-citizen-{rank}")
        province = rng.choice(["001", "012", "079", "048", "031", "036", "038", "040"])
        century_sex = rng.choice("0123")
        return f"{province}{century_sex}{rng.randrange(100):02d}{rank:06d}"

    def citizen_name(self, rank: int) -> str:
        rng = random.Random(f"{self.seed}-name-{rank}")
        pick = bisect.bisect(self._surname_cum, rng.random() * self._surname_cum[-1])
        surname = SURNAMES[min(pick, len(SURNAMES) - 1)][0]
        if rng.random() < 0.5:
            return f"{surname} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"
        return f"{surname} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"

    def heaviest_citizen(self) -> str:
        return self.citizen_id(0)

    def ordinary_citizen(self, rng: random.Random) -> str:
        """A citizen drawn from the bottom nine tenths of popularity (one to three results)."""
        return self.citizen_id(rng.randrange(self.citizens // 10, self.citizens))

    def citizen_rank(self, i: int) -> int:
        """The popularity rank of the citizen of result `i`: the results are dealt to the
        citizens by their counts in a scrambled order (i x a large prime, mod n), so one
        citizen's results are spread over the corpus, not deposited in a row."""
        slot = (i * 2_654_435_761) % max(1, self.n)
        return min(self.citizens - 1, bisect.bisect(self._citizen_end, slot))

    def _type(self, rng: random.Random) -> int:
        pick = bisect.bisect(self._type_cum, rng.random() * self._type_cum[-1])
        return min(pick, len(RESULT_TYPES) - 1)

    def metadata(self, i: int) -> tuple[int, dict[str, Any]]:
        """(the template index, the deposit metadata) of result `i`."""
        rng = random.Random(f"{self.seed}-{i}")
        t = self._type(rng)
        code, proc, result_type, days = RESULT_TYPES[t]
        issued = self.today - timedelta(days=rng.randrange(1, 20 * 365))
        issuer = ISSUERS[rng.randrange(len(ISSUERS))]
        while issuer.level == "district" and issued > _DISTRICT_END:
            issuer = ISSUERS[rng.randrange(len(ISSUERS))]
        rank = self.citizen_rank(i)
        dossier = f"{issuer.code}-{issued:%y%m%d}-{i % 10000:04d}"
        meta: dict[str, Any] = {
            "issuer_code": issuer.code,
            "result_code": f"{dossier}-KQ{i // 10000 + 1}",
            "dossier_code": dossier,
            "procedure_code": code,
            "procedure_name": proc,
            "result_type": result_type,
            "subjects": [
                {"kind": "citizen", "id": self.citizen_id(rank), "name": self.citizen_name(rank)}
            ],
            "issued_on": issued.isoformat(),
        }
        if days:
            meta["valid_until"] = (issued + timedelta(days=days)).isoformat()
        return t, meta

    def items(self, start: int = 0) -> Iterator[tuple[int, int, dict[str, Any]]]:
        for i in range(start, self.n):
            t, meta = self.metadata(i)
            yield i, t, meta


# Searches that match few results (a rare surname with a given name) and many (a common
# result type's words, Nguyễn, which is over a third of the names), with and without
# diacritics; the common ones are also timed with filters.
RARE_TERMS = ("Khổng Minh Tài", "khong ngoc trang", "Âu Thị Diệp", "Tạ Quốc Vinh")
COMMON_TERMS = ("khai sinh", "Nguyễn", "nguyen thi", "giay chung nhan")
