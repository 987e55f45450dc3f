"""The simulated population, pure and seeded: employers in the parks, and workers with
the permit each is issued and the part each plays in the run (:class:`Profile`).

Most workers are ordinary: daily commuters on a multi-exit permit, and stayers on a
single-exit one (some of whose permits end during the run or soon after it). A few
are cast in the planted incidents; :mod:`borderpass.demo.plan` turns each profile into
scans, and :mod:`borderpass.demo.truth` says which alerts they must raise.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

DAY1 = date(2026, 11, 2)
"""The first simulated day (a Monday); the run starts in its first hours."""
HIRING_PERMIT = (date(2026, 1, 1), date(2027, 12, 31))
MIN_WORKERS = 40
MIN_EMPLOYERS = 6


@dataclass(frozen=True, slots=True)
class Park:
    site_id: str
    zone: str
    code: str
    name_zh: str
    name_vi: str
    weight: int
    """How many employers it draws, relatively."""

    @property
    def beyond_hengjiang(self) -> bool:
        return self.zone.startswith("fangchenggang/")


PARKS = (
    Park("kec-park", "dongxing/kec", "KEC", "东兴跨合区", "Khu hợp tác Đông Hưng", 3),
    Park("jiangping-park", "dongxing/jiangping", "JP", "江平", "Giang Bình", 3),
    Park("chonglan-park", "dongxing/chonglan", "CL", "冲榄", "Xung Lãm", 2),
    Park("border-trade-centre", "dongxing/border-trade-centre", "BTC", "东兴边贸",
         "Biên mậu Đông Hưng", 2),
    Park("gangkou-park", "fangchenggang/gangkou-park", "GK", "港口区", "Cảng Khẩu", 1),
    Park("fangcheng-park", "fangchenggang/fangcheng-park", "FC", "防城区", "Phòng Thành", 1),
)  # fmt: skip
PARK_BY_SITE = {p.site_id: p for p in PARKS}
GATES = ("dongxing-port", "beilun-bridge-2")
HOME_GATE = "dongxing-port"
SLOW_PULL_PARK = "chonglan-park"
"""The park edge that pulls from the hub once a day (where the revoked permit is used)."""

INDUSTRIES = (
    ("制衣", "May mặc"), ("电子", "Điện tử"), ("食品", "Thực phẩm"), ("红木家具", "Đồ gỗ"),
    ("水产", "Thủy sản"), ("物流", "Vận tải"), ("五金", "Kim khí"), ("包装", "Bao bì"),
    ("纺织", "Dệt"), ("建材", "Vật liệu xây dựng"),
)  # fmt: skip
FAMILY = (
    ("Nguyễn", "阮"), ("Trần", "陈"), ("Lê", "黎"), ("Phạm", "范"), ("Hoàng", "黄"),
    ("Phan", "潘"), ("Vũ", "武"), ("Đặng", "邓"), ("Bùi", "裴"), ("Đỗ", "杜"), ("Hồ", "胡"),
    ("Ngô", "吴"), ("Dương", "杨"), ("Lý", "李"),
)  # fmt: skip
GIVEN_F = (
    ("Lan", "兰"), ("Hoa", "花"), ("Mai", "梅"), ("Hương", "香"), ("Linh", "玲"),
    ("Thảo", "草"), ("Trang", "妆"), ("Hạnh", "幸"), ("Phương", "芳"), ("Yến", "燕"),
    ("Hằng", "姮"), ("Thu", "秋"), ("Ngọc", "玉"), ("Nhung", "绒"),
)  # fmt: skip
GIVEN_M = (
    ("Hùng", "雄"), ("Dũng", "勇"), ("Tuấn", "俊"), ("Minh", "明"), ("Nam", "南"),
    ("Long", "龙"), ("Hải", "海"), ("Sơn", "山"), ("Cường", "强"), ("Thắng", "胜"),
    ("Phúc", "福"), ("Quân", "军"), ("Trung", "忠"), ("Bình", "平"),
)  # fmt: skip
MIDDLE_M = (("Văn", "文"), ("Đức", "德"), ("Hữu", "有"), ("Quang", "光"))


class Profile(StrEnum):
    """The part a worker plays. The first four are ordinary; the rest are planted."""

    COMMUTER = "commuter"
    """Multi-exit permit: in at a border gate every morning, out every evening."""
    STAYER = "stayer"
    """Single-exit permit: enters on day 1 and stays, in and out of the park daily."""
    LEAVER = "leaver"
    """A stayer whose permit ends during the run: leaves China on its last day."""
    EXIT_DUE = "exit_due"
    """A stayer whose permit ends within a week after the run: still in China."""
    OVERSTAYER = "overstayer"
    """Permit ends the day before the last day of the run; never leaves."""
    LATE_LEAVER = "late_leaver"
    """Permit ends the day before the last day; leaves a day late."""
    REENTRANT = "reentrant"
    """Leaves on a single-exit permit, then re-enters at the gate that is offline."""
    REVOKED = "revoked"
    """A commuter whose permit is revoked while the slow-pull park has not heard."""
    WANDERER = "wanderer"
    """A commuter who walks into a park outside the permit at lunchtime."""
    HENGJIANG = "hengjiang"
    """A commuter of a Dongxing park who tries to go inland at Hengjiang."""
    MAOLING = "maoling"
    """A commuter of a Fangchenggang park who tries to go inland at Maoling."""
    CLONED = "cloned"
    """A commuter whose QR is copied and shown at a distant gate minutes later."""
    SWITCH_OUT = "switch_out"
    """Leaves through the offline gate, comes back through the other one."""
    SWITCH_IN = "switch_in"
    """Leaves through the other gate, comes back through the offline one."""


COMMUTING = frozenset(
    {Profile.COMMUTER, Profile.REVOKED, Profile.WANDERER, Profile.HENGJIANG,
     Profile.MAOLING, Profile.CLONED, Profile.SWITCH_OUT, Profile.SWITCH_IN}
)  # fmt: skip
"""Profiles on a multi-exit permit."""


@dataclass(frozen=True, slots=True)
class EmployerSpec:
    employer_id: str
    name_zh: str
    name_vi: str
    park: Park
    hiring_permit_no: str

    def body(self) -> dict[str, Any]:
        """The body of ``POST /api/employers``."""
        return {
            "employer_id": self.employer_id,
            "name_zh": self.name_zh,
            "name_vi": self.name_vi,
            "hiring_permit_no": self.hiring_permit_no,
            "hiring_permit_valid_from": HIRING_PERMIT[0].isoformat(),
            "hiring_permit_valid_until": HIRING_PERMIT[1].isoformat(),
            "park_zone": self.park.zone,
        }


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    worker_id: str
    """The border pass number (the hub's worker id)."""
    name: str
    name_zh: str
    birth_date: date
    sex: str
    employer: EmployerSpec
    profile: Profile
    home_gate: str
    valid_from: date
    valid_until: date

    @property
    def park(self) -> Park:
        return self.employer.park

    @property
    def single_exit(self) -> bool:
        return self.profile not in COMMUTING

    def permit_body(self) -> dict[str, Any]:
        """The body of ``POST /api/permits``: the employer's park (the hub adds the
        border city); certificates and insurance outlast the permit."""
        cover = (self.valid_until + timedelta(days=90)).isoformat()
        return {
            "worker": {"name": self.name, "name_zh": self.name_zh,
                       "border_pass_no": self.worker_id,
                       "birth_date": self.birth_date.isoformat(), "sex": self.sex},
            "employer_id": self.employer.employer_id,
            "zones": [self.park.zone],
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "health_cert_until": cover,
            "insurance_until": cover,
            "single_exit": self.single_exit,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Population:
    seed: int
    days: int
    employers: tuple[EmployerSpec, ...]
    workers: tuple[WorkerSpec, ...]

    @property
    def last_day(self) -> date:
        return DAY1 + timedelta(days=self.days - 1)

    def of(self, profile: Profile) -> list[WorkerSpec]:
        return [w for w in self.workers if w.profile is profile]


def incident_counts(workers: int) -> dict[Profile, int]:
    """How many workers play each planted part (and the ordinary ones that end their
    permits around the run), for a population of ``workers``."""
    return {
        Profile.OVERSTAYER: max(2, workers // 400),
        Profile.LATE_LEAVER: max(1, workers // 1000),
        Profile.REENTRANT: 1,
        Profile.REVOKED: 1,
        Profile.WANDERER: max(1, workers // 500),
        Profile.HENGJIANG: max(1, workers // 1000),
        Profile.MAOLING: 1,
        Profile.CLONED: 1,
        Profile.SWITCH_OUT: max(1, workers // 1000),
        Profile.SWITCH_IN: max(1, workers // 1000),
        Profile.LEAVER: max(2, workers // 50),
        Profile.EXIT_DUE: max(2, workers // 50),
    }


def build_employers(rng: random.Random, count: int) -> tuple[EmployerSpec, ...]:
    """``count`` employers over the parks by weight, every park with at least one."""
    weighted = [p for p in PARKS for _ in range(p.weight)]
    parks = list(PARKS) + [rng.choice(weighted) for _ in range(count - len(PARKS))]
    made = []
    for index, park in enumerate(parks[:count], start=1):
        zh, vi = INDUSTRIES[(index * 7 + rng.randrange(3)) % len(INDUSTRIES)]
        made.append(
            EmployerSpec(
                employer_id=f"E-{park.code}-{index:02d}",
                name_zh=f"{park.name_zh}{zh}有限公司",
                name_vi=f"Công ty {vi} {park.name_vi} {index}",
                park=park,
                hiring_permit_no=f"DX-PY-2026-{index:03d}",
            )
        )
    return tuple(made)


def _name(rng: random.Random) -> tuple[str, str, str]:
    family, family_zh = rng.choice(FAMILY)
    if rng.random() < 0.5:
        (given, given_zh), (middle, middle_zh), sex = rng.choice(GIVEN_F), ("Thị", "氏"), "F"
    else:
        (given, given_zh), (middle, middle_zh), sex = rng.choice(GIVEN_M), rng.choice(MIDDLE_M), "M"
    return f"{family} {middle} {given}", f"{family_zh}{middle_zh}{given_zh}", sex


def _end_date(rng: random.Random, profile: Profile, days: int) -> date:
    """The permit's last day, as the profile needs it."""
    last = DAY1 + timedelta(days=days - 1)
    if profile is Profile.LEAVER:
        return DAY1 + timedelta(days=rng.randrange(days))
    if profile is Profile.EXIT_DUE:
        return last + timedelta(days=rng.randint(1, 6))
    if profile in (Profile.OVERSTAYER, Profile.LATE_LEAVER):
        return last - timedelta(days=1)
    return DAY1 + timedelta(days=rng.randint(days + 30, 170))


def _employer_for(
    rng: random.Random, profile: Profile, employers: Sequence[EmployerSpec]
) -> EmployerSpec:
    """An employer whose park suits the part: Hengjiang and the wanderers need a
    Dongxing park, Maoling and the clone a park beyond Hengjiang, the revoked permit
    the slow-pull park, the re-entrant a Dongxing park."""
    if profile in (Profile.HENGJIANG, Profile.WANDERER, Profile.REENTRANT):
        pool = [e for e in employers if not e.park.beyond_hengjiang]
    elif profile in (Profile.MAOLING, Profile.CLONED):
        pool = [e for e in employers if e.park.beyond_hengjiang]
    elif profile is Profile.REVOKED:
        pool = [e for e in employers if e.park.site_id == SLOW_PULL_PARK]
    else:
        pool = list(employers)
    return rng.choice(pool)


def _home_gate(rng: random.Random, profile: Profile) -> str:
    if profile is Profile.SWITCH_OUT:
        return "beilun-bridge-2"
    if profile in (Profile.SWITCH_IN, Profile.REENTRANT, Profile.REVOKED, Profile.CLONED):
        return HOME_GATE
    return HOME_GATE if rng.random() < 0.7 else "beilun-bridge-2"


def _profiles(rng: random.Random, workers: int) -> list[Profile]:
    cast = [p for p, n in incident_counts(workers).items() for _ in range(n)]
    ordinary = workers - len(cast)
    commuters = round(ordinary * 0.6)
    cast += [Profile.COMMUTER] * commuters + [Profile.STAYER] * (ordinary - commuters)
    rng.shuffle(cast)  # the planted parts hide among the ordinary workers
    return cast


def build_population(seed: int, workers: int, employers: int, days: int) -> Population:
    """The employers and workers of a run; the same arguments give the same result."""
    if workers < MIN_WORKERS or employers < MIN_EMPLOYERS or days < 2:
        raise ValueError(
            f"need at least {MIN_WORKERS} workers, {MIN_EMPLOYERS} employers and 2 days"
        )
    rng = random.Random(f"population:{seed}")
    companies = build_employers(rng, employers)
    made = []
    for index, profile in enumerate(_profiles(rng, workers)):
        name, name_zh, sex = _name(rng)
        made.append(
            WorkerSpec(
                worker_id=f"VN-BP-{100001 + index}",
                name=name,
                name_zh=name_zh,
                birth_date=date(1970, 1, 1) + timedelta(days=rng.randrange(34 * 365)),
                sex=sex,
                employer=_employer_for(rng, profile, companies),
                profile=profile,
                home_gate=_home_gate(rng, profile),
                valid_from=DAY1,
                valid_until=_end_date(rng, profile, days),
            )
        )
    return Population(seed, days, companies, tuple(made))
