"""Plausible people for the demo city: names, resident ID numbers, mobile numbers, ages, addresses."""
import random
from datetime import date, timedelta

from ..elders.idnumber import check_digit

# Common surnames in Jiangsu, most frequent first, with rough weights.
SURNAMES = "王张陈李刘朱徐周吴顾丁钱孙杨黄赵沈胡高蒋许何郭马曹袁于严封缪殷卢储翟姜戴卞蔡薛范季"
SURNAME_WEIGHTS = [max(1.0, 12.0 - i * 0.3) for i in range(len(SURNAMES))]
# Given-name characters popular for people born 1925-1966.
MALE_CHARS = "国建明德福贵荣华忠兴发富宝林春生根才金海山成军平文志洪祥桂广友昌义长永庆正"
FEMALE_CHARS = "秀英兰珍芳凤桂美玉梅翠娟琴花莲霞萍云红素月芬香菊仙巧琳惠淑"
MOBILE_PREFIXES = ("130 131 132 133 135 136 137 138 139 150 151 152 155 157 158 159 177 180 181 "
                   "182 183 187 188 189 199").split()
# Share of the 60+ population in each five-year age band (60-64 ... 95-99), from the 2020 census shape.
AGE_BANDS = ((60, 0.27), (65, 0.25), (70, 0.19), (75, 0.12), (80, 0.09), (85, 0.05), (90, 0.02), (95, 0.01))
# Dates in the demo are computed from this fixed day, so that a seed is the same whenever it runs.
REFERENCE_DATE = date(2026, 11, 1)


def person_name(rng: random.Random, gender: str) -> str:
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.8 else "")
    return surname + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def elder_birth_date(rng: random.Random) -> date:
    """A birth date giving an age of 60 to 99 on REFERENCE_DATE, shaped like the census."""
    band = rng.choices([b for b, _ in AGE_BANDS], [w for _, w in AGE_BANDS])[0]
    age = band + rng.randrange(5)
    # Counting whole years rather than days keeps leap days from making a 60-year-old 59.
    return REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age) - timedelta(days=rng.randrange(1, 365))


def age_on(birth: date, day: date = REFERENCE_DATE) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def elder_gender(rng: random.Random, birth: date) -> str:
    # Women outlive men: about half at 60, two thirds past 85.
    female_share = 0.5 + min(0.17, max(0.0, (age_on(birth) - 60) * 0.0065))
    return "F" if rng.random() < female_share else "M"


def id_number(rng: random.Random, area_code: str, birth: date, gender: str, taken: set[str]) -> str:
    """A valid 18-digit resident ID number (GB 11643) not in `taken`, which it joins."""
    while True:
        seq = rng.randrange(100) * 10 + rng.choice((1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8))
        first17 = f"{area_code}{birth:%Y%m%d}{seq:03d}"
        number = first17 + check_digit(first17)
        if number not in taken:
            taken.add(number)
            return number


def home_address(rng: random.Random, city: str, district: str, street: str, community: str) -> str:
    if community.endswith("村"):
        return f"{city}{district}{street}{community}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
    return (f"{city}{district}{street}{community}{rng.randint(1, 40)}幢{rng.randint(1, 4)}单元"
            f"{rng.randint(1, 6)}0{rng.randint(1, 4)}室")
