"""What each partner records in the year.

One function per kind of partner; rates are per person-year.
"""

from __future__ import annotations

from datetime import date, timedelta

from mast.demo.activity import Year, _poisson
from mast.demo.world import Person

POLICE_ROLES = ("Victim", "Suspect", "Witness", "Subject", "Reporting Person")


def police(y: Year, scale: float) -> None:
    """Household incidents, a set of 11–15 callout addresses, street hotspots."""
    rng, w = y.rng, y.w
    hot_homes = {
        id(h[0].homes[0][1]) for h in rng.sample(w.households, max(1, len(w.households) // 300))
    }
    for members in w.households:
        home = members[0].homes[0][1]
        risk = sum(m.risk for m in members) / len(members)
        n = (
            rng.randint(11, 15)
            if id(home) in hot_homes
            else _poisson(rng, 0.35 * scale * risk**1.3)
        )
        adults = [m for m in members if m.age_on(w.end) >= 10] or members
        for _ in range(n):
            when = y.moment(y.day())
            ref = y.ref("OCC")
            category = y.police_cat()
            involved = rng.sample(adults, k=min(len(adults), rng.choice((1, 1, 2, 2, 3))))
            for i, person in enumerate(involved):
                role = (
                    ("Victim", "Suspect")[i % 2]
                    if category == "Domestic abuse"
                    else rng.choice(POLICE_ROLES)
                )
                y.add(
                    "police",
                    person,
                    when,
                    "occurrence",
                    ref=ref,
                    category=category,
                    role=role,
                    place=person.address_on(when.date()) if id(home) not in hot_homes else home,
                )
    for person in w.people:
        if person.age_on(w.end) < 12:
            continue
        for _ in range(_poisson(rng, 0.07 * scale * person.risk)):
            place = y.premises[y.hotspots()]
            when = y.moment(y.day())
            y.add(
                "police",
                person,
                when,
                "occurrence",
                ref=y.ref("OCC"),
                place=place,
                category=y.street_cat(),
                role=rng.choice(("Suspect", "Victim", "Witness")),
            )


def health(y: Year, scale: float) -> None:
    """ED and minor injury attendances and missed appointments; a cohort with 16–25 contacts."""
    rng, w = y.rng, y.w
    heavy = set(map(id, rng.sample(w.people, max(1, len(w.people) // 700))))
    for person in w.people:
        age = person.age_on(w.end)
        lam = scale * (0.35 * person.risk**0.8 + (0.4 if age > 75 or age < 4 else 0))
        n = rng.randint(16, 25) if id(person) in heavy else _poisson(rng, lam)
        for _ in range(n):
            kind = rng.choices(("ED", "MIU", "DNA"), (5, 2, 3))[0]
            category = (
                rng.choice(
                    ("Injury", "Assault", "Self-harm", "Overdose", "Illness", "Mental health")
                )
                if kind != "DNA"
                else "Outpatient"
            )
            y.add("health", person, y.moment(y.day()), kind, category=category)


def ambulance(y: Year, scale: float) -> None:
    rng, w = y.rng, y.w
    for person in w.people:
        lam = scale * (0.08 * person.risk + (0.3 if person.age_on(w.end) > 75 else 0))
        for _ in range(_poisson(rng, lam)):
            y.add(
                "ambulance",
                person,
                y.moment(y.day()),
                "call",
                category=rng.choice(
                    (
                        "Fall",
                        "Breathing",
                        "Overdose",
                        "Assault",
                        "Mental health",
                        "Chest pain",
                        "Unconscious",
                    )
                ),
            )


def fire(y: Year, scale: float) -> None:
    """Address-led: incidents and home safety visits, the occupant named on some."""
    rng, w = y.rng, y.w
    for members in w.households:
        oldest = max(members, key=lambda m: m.age_on(w.end))
        risk = sum(m.risk for m in members) / len(members)
        visits = _poisson(rng, scale * (0.04 + (0.35 if oldest.age_on(w.end) > 70 else 0)))
        fires = _poisson(rng, scale * 0.02 * risk)
        for kind, n in (("Home Safety Visit", visits), ("Incident", fires)):
            for _ in range(n):
                when = y.moment(y.day())
                category = (
                    "Home safety check"
                    if kind != "Incident"
                    else rng.choice(("Dwelling fire", "Deliberate fire", "False alarm", "Rescue"))
                )
                named = oldest if kind != "Incident" or rng.random() < 0.6 else None
                y.add(
                    "fire",
                    named,
                    when,
                    kind,
                    category=category,
                    place=oldest.address_on(when.date()),
                )


def social_care(y: Year, scale: float) -> None:
    """Children's services by council, adults' services, care leavers and transitions at 18."""
    rng, w = y.rng, y.w
    for members in w.households:
        risk = sum(m.risk for m in members) / len(members)
        children = [m for m in members if m.age_on(w.start) < 18]
        if children and rng.random() < min(0.9, 0.05 * scale * risk**1.5):
            _childrens_case(y, children, [m for m in members if m not in children])
    for person in w.people:
        age = person.age_on(w.end)
        if 18 <= age <= 21 and rng.random() < 0.04 * min(person.risk, 4):
            _care_leaver(y, person)
        elif age >= 18 and rng.random() < scale * (0.012 * person.risk + (0.05 if age > 75 else 0)):
            _adults_case(y, person, y.day())
        if (
            person.age_on(w.start) == 17
            and person.age_on(w.end) == 18
            and rng.random() < 0.12 * min(person.risk, 5)
        ):
            _transition(y, person)


def _csc_feed(person: Person, y: Year) -> tuple[str, str]:
    la = person.address_on(y.w.start).local_authority
    return ("csc_swansea", "CSC") if la == "Swansea" else ("csc_npt", "NPT")


def _childrens_case(y: Year, children: list[Person], carers: list[Person]) -> None:
    rng = y.rng
    opened = y.day()
    for child in children:
        feed, prefix = _csc_feed(child, y)
        case = y.case(
            prefix,
            rng.choice(
                (
                    "Intake and Assessment",
                    "Child Protection",
                    "Family Support",
                    "Looked After Children",
                )
            ),
            opened,
        )
        steps = ["Referral", "Assessment"] + (
            ["Child Protection Plan"] if rng.random() < 0.3 else []
        )
        if rng.random() < 0.08:
            steps.append("Looked After")
        day = opened
        carer = carers[0] if carers else None
        for step in steps:
            y.add(
                feed,
                child,
                y.moment(day),
                step,
                case=case,
                role="Child",
                related=carer,
                relationship="Mother" if carer and carer.sex == "F" else "Father",
            )
            day = min(y.w.end, day + timedelta(days=rng.randint(5, 60)))
        if carer is not None:
            y.add(
                feed,
                carer,
                y.moment(opened),
                "Referral",
                case=case,
                role="Parent/Carer",
                related=child,
                relationship="Child",
            )


def _care_leaver(y: Year, person: Person) -> None:
    rng = y.rng
    feed, prefix = _csc_feed(person, y)
    case = y.case(prefix, "Leaving Care", y.w.start - timedelta(days=rng.randint(30, 900)))
    for _ in range(rng.randint(1, 4)):
        y.add(feed, person, y.moment(y.day()), "Care Leaver", case=case, role="Care Leaver")
    if rng.random() < 0.35:
        _probation(y, person, custody=True)


def _adults_case(y: Year, person: Person, opened: date) -> None:
    rng = y.rng
    case = y.case(
        "ASC", rng.choice(("Safeguarding Team", "Community Team", "Older People")), opened
    )
    for kind in ("Safeguarding Concern", "Assessment")[: rng.randint(1, 2)]:
        y.add("asc", person, y.moment(case.opened), kind, case=case, role="Adult at risk")


def _transition(y: Year, person: Person) -> None:
    rng = y.rng
    birthday = (
        person.dob.replace(year=person.dob.year + 18)
        if not (person.dob.month == 2 and person.dob.day == 29)
        else person.dob.replace(year=person.dob.year + 18, day=28)
    )
    feed, prefix = _csc_feed(person, y)
    case = y.case(prefix, "Transition Team", y.day(hi=birthday - timedelta(days=20)))
    for _ in range(rng.randint(1, 3)):
        y.add(
            feed,
            person,
            y.moment(y.day(hi=birthday - timedelta(days=1))),
            "Assessment",
            case=case,
            role="Child",
        )
    after = y.day(lo=birthday + timedelta(days=1))
    if after > birthday:
        _adults_case(y, person, after)


def education(y: Year, scale: float) -> None:
    rng, w = y.rng, y.w
    for person in w.people:
        if not 5 <= person.age_on(w.start) <= 16:
            continue
        for _ in range(_poisson(rng, scale * 0.12 * person.risk**1.2)):
            kind = rng.choices(
                (
                    "Fixed-term exclusion",
                    "Persistent absence",
                    "Permanent exclusion",
                    "Child missing education",
                ),
                (6, 8, 1, 1),
            )[0]
            y.add("education", person, y.moment(y.day()), kind)


def youth_justice(y: Year, scale: float) -> None:
    rng, w = y.rng, y.w
    for person in w.people:
        if 10 <= person.age_on(w.start) <= 17 and rng.random() < scale * 0.006 * person.risk**1.5:
            case = y.case("YJS", "Western Bay YJS", y.day())
            for _ in range(rng.randint(1, 3)):
                y.add(
                    "youth_justice",
                    person,
                    y.moment(y.day(lo=case.opened)),
                    rng.choice(
                        ("Referral Order", "Youth Rehabilitation Order", "Out of Court Disposal")
                    ),
                    case=case,
                )


def probation_all(y: Year, scale: float) -> None:
    rng, w = y.rng, y.w
    for person in w.people:
        if 18 <= person.age_on(w.end) <= 65 and rng.random() < scale * 0.004 * person.risk**1.5:
            _probation(y, person, custody=rng.random() < 0.3)


def _probation(y: Year, person: Person, *, custody: bool) -> None:
    rng = y.rng
    case = y.case("PRB", "Swansea Probation Delivery Unit", y.day())
    kinds = ["Custody - Sentenced", "Released on Licence"] if custody else ["Community Order"]
    day = case.opened
    for kind in kinds:
        y.add("probation", person, y.moment(day), kind, case=case)
        day = min(y.w.end, day + timedelta(days=rng.randint(30, 200)))
