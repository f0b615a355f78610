"""Word lists the generator draws from: names, nicknames and Welsh forms, streets and premises."""

from __future__ import annotations

# Surnames with rough frequencies in south-west Wales (heavy head: Jones, Williams, Davies...).
SURNAMES: dict[str, int] = {
    "Jones": 60, "Williams": 45, "Davies": 42, "Thomas": 30, "Evans": 28, "Roberts": 14,
    "Lewis": 14, "Morgan": 13, "Hughes": 12, "Rees": 12, "Griffiths": 11, "Phillips": 10,
    "Price": 9, "James": 9, "Jenkins": 9, "Edwards": 8, "Harris": 7, "Richards": 7,
    "Morris": 7, "Owen": 6, "Smith": 10, "Watkins": 5, "Powell": 5, "Bowen": 5, "Lloyd": 5,
    "Pritchard": 4, "Howells": 4, "Parry": 4, "Walters": 4, "Mathias": 3, "Llewellyn": 3,
    "Prosser": 3, "Gwynne": 2, "Vaughan": 3, "Protheroe": 2, "Bevan": 3, "Hopkins": 3,
    "O'Brien": 2, "Smith-Jones": 1, "McCarthy": 2, "Brown": 4, "Taylor": 4, "Wilson": 3,
    "Clarke": 3, "Walker": 2, "Kowalski": 1, "Nowak": 1, "Khan": 2, "Ahmed": 2, "Begum": 1,
    "Ali": 2, "Osei": 1, "Mensah": 1, "Nguyen": 1, "ap Rhys": 1, "Gruffudd": 1, "Tudur": 1,
    "Cadwaladr": 1, "Rhydderch": 1, "Meredith": 2, "Bennett": 3, "Collins": 2, "Foley": 1,
}

MALE_NAMES = (
    "David Dafydd John Gareth Rhys Owen Thomas William Michael Robert Richard James Christopher "
    "Daniel Matthew Andrew Steven Mark Paul Anthony Ieuan Huw Aled Dylan Cai Osian Tomos Harri "
    "Evan Jac Liam Jordan Kyle Ryan Callum Joshua Samuel Joseph Lewis Alexander Nicholas Peter "
    "Keith Alan Brian Gwilym Emyr Geraint Llywelyn Iwan Sion Ioan Mohammed Adam Jakub"
).split()
FEMALE_NAMES = (
    "Sian Catrin Megan Ffion Cerys Nia Elin Angharad Rhiannon Bethan Sarah Emma Rebecca Laura "
    "Jessica Charlotte Amy Lauren Hannah Chloe Katherine Elizabeth Margaret Mary Susan Patricia "
    "Deborah Jennifer Victoria Gwenllian Eleri Lowri Seren Mali Alys Efa Ella Olivia Amelia Lily "
    "Sophie Ruby Carys Heledd Mair Gwen Janet Anne Helen Karen Julie Tracey Aisha Zofia Fatima"
).split()
MIDDLE_NAMES = "Ann Marie Louise Jane Elizabeth Rose Mai Wyn John James Lee Dafydd Rhys Michael".split()

# A person known by one name is often recorded by another. Welsh forms count as nicknames.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "David": ("Dai", "Dave", "Dafydd"), "Dafydd": ("Dai", "David", "Dewi"),
    "John": ("Johnny", "Jack", "Ieuan", "Ioan"), "Ieuan": ("John", "Ifan"),
    "Gareth": ("Gaz", "Gary"), "Rhys": ("Rees", "Reece"), "Owen": ("Owain",),
    "Thomas": ("Tom", "Tomos", "Twm"), "Tomos": ("Tom", "Thomas"), "William": ("Will", "Bill", "Gwilym"),
    "Gwilym": ("William", "Will"), "Michael": ("Mike", "Mick"), "Robert": ("Rob", "Bob", "Robbie"),
    "Richard": ("Rich", "Rick", "Dick"), "James": ("Jim", "Jamie", "Iago"),
    "Christopher": ("Chris",), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Andrew": ("Andy",), "Steven": ("Steve", "Stephen"), "Anthony": ("Tony",),
    "Samuel": ("Sam",), "Joseph": ("Joe",), "Alexander": ("Alex",), "Nicholas": ("Nick",),
    "Joshua": ("Josh",), "Callum": ("Cal",), "Llywelyn": ("Llew", "Lewis"), "Evan": ("Ifan",),
    "Huw": ("Hugh",), "Harri": ("Harry",), "Peter": ("Pete",), "Mohammed": ("Muhammad", "Mohamed"),
    "Sian": ("Siân", "Jane"), "Catrin": ("Catherine", "Cat"), "Katherine": ("Kate", "Katie", "Cath"),
    "Elizabeth": ("Liz", "Beth", "Lisa", "Elisabeth"), "Margaret": ("Maggie", "Peggy", "Marged"),
    "Mary": ("Mair", "Molly"), "Rebecca": ("Becky", "Becca"), "Jennifer": ("Jen", "Jenny"),
    "Victoria": ("Vicky", "Tori"), "Deborah": ("Debbie", "Debra"), "Susan": ("Sue", "Susie"),
    "Patricia": ("Pat", "Trish"), "Charlotte": ("Charlie", "Lottie"), "Jessica": ("Jess",),
    "Gwenllian": ("Gwen",), "Janet": ("Sioned", "Jan"), "Anne": ("Ann", "Annie"),
    "Hannah": ("Hana",), "Megan": ("Meg",), "Rhiannon": ("Rhi",), "Angharad": ("Ang",),
    "Bethan": ("Beth",), "Eleri": ("Ellie",), "Zofia": ("Sophia", "Zosia"),
}

SWANSEA = "Swansea"
NEATH_PORT_TALBOT = "Neath Port Talbot"

# (locality, town, local authority, postcode districts)
LOCALITIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Sketty", "Swansea", SWANSEA, ("SA2",)), ("Uplands", "Swansea", SWANSEA, ("SA2", "SA1")),
    ("Townhill", "Swansea", SWANSEA, ("SA1",)), ("Mayhill", "Swansea", SWANSEA, ("SA1",)),
    ("St Thomas", "Swansea", SWANSEA, ("SA1",)), ("Port Tennant", "Swansea", SWANSEA, ("SA1",)),
    ("Morriston", "Swansea", SWANSEA, ("SA6",)), ("Clydach", "Swansea", SWANSEA, ("SA6",)),
    ("Penlan", "Swansea", SWANSEA, ("SA5",)), ("Blaenymaes", "Swansea", SWANSEA, ("SA5",)),
    ("Landore", "Swansea", SWANSEA, ("SA1",)), ("Bonymaen", "Swansea", SWANSEA, ("SA1",)),
    ("Killay", "Swansea", SWANSEA, ("SA2",)), ("Mumbles", "Swansea", SWANSEA, ("SA3",)),
    ("Gorseinon", "Swansea", SWANSEA, ("SA4",)), ("Gowerton", "Swansea", SWANSEA, ("SA4",)),
    ("Pontarddulais", "Swansea", SWANSEA, ("SA4",)), ("Llansamlet", "Swansea", SWANSEA, ("SA7",)),
    ("Briton Ferry", "Neath", NEATH_PORT_TALBOT, ("SA11",)), ("Skewen", "Neath", NEATH_PORT_TALBOT, ("SA10",)),
    ("Cimla", "Neath", NEATH_PORT_TALBOT, ("SA11",)), ("Resolven", "Neath", NEATH_PORT_TALBOT, ("SA11",)),
    ("Glynneath", "Neath", NEATH_PORT_TALBOT, ("SA11",)), ("Aberavon", "Port Talbot", NEATH_PORT_TALBOT, ("SA12",)),
    ("Sandfields", "Port Talbot", NEATH_PORT_TALBOT, ("SA12",)), ("Baglan", "Port Talbot", NEATH_PORT_TALBOT, ("SA12",)),
    ("Taibach", "Port Talbot", NEATH_PORT_TALBOT, ("SA13",)), ("Cwmafan", "Port Talbot", NEATH_PORT_TALBOT, ("SA12",)),
    ("Pontardawe", "Swansea", NEATH_PORT_TALBOT, ("SA8",)), ("Ystalyfera", "Swansea", NEATH_PORT_TALBOT, ("SA9",)),
)

STREET_WELSH_HEADS = ("Heol", "Lôn", "Ffordd", "Stryd", "Maes", "Clos", "Rhodfa", "Cwrt")
STREET_WELSH_TAILS = (
    "Ŵyr", "Cedwyn", "y Parc", "Fawr", "yr Eglwys", "Glan", "Dewi", "Tawe", "Nedd", "Afan",
    "Bryn", "Gwyn", "y Coed", "y Felin", "Ceiriog", "Gwenallt", "Islwyn", "Eynon", "Dŵr", "Ysgol",
)
STREET_ENGLISH_HEADS = (
    "High", "Church", "Victoria", "Park", "Mill", "Station", "Oak", "Chapel", "Walter", "King's",
    "Queen's", "Hill", "Brynmill", "Mansel", "Gower", "Tawe", "Caradoc", "Glanmor", "Pentre",
    "Heathfield", "St Helen's", "Mount Pleasant", "Neath", "Talbot", "Dyfed", "Rhondda",
)
STREET_ENGLISH_TAILS = ("Street", "Road", "Avenue", "Terrace", "Close", "Crescent", "Lane",
                        "Drive", "Gardens", "Place", "View", "Way")

# Non-residential premises: (name, premises type) — where police incidents cluster.
PREMISES: tuple[tuple[str, str], ...] = (
    ("The Red Lion", "pub"), ("The Bush Inn", "pub"), ("Yates Bar", "pub"), ("The Kings Arms", "pub"),
    ("The Cross Keys", "pub"), ("Y Llew Du", "pub"), ("The Railway Inn", "pub"), ("The Mackworth", "pub"),
    ("Caer Las Hostel", "hostel"), ("Salvation Army Hostel", "hostel"), ("Dinas Fechan Hostel", "hostel"),
    ("Tesco Express", "shop"), ("Co-op Food", "shop"), ("Spar", "shop"), ("Boots", "shop"),
    ("Quadrant Bus Station", "transport"), ("Neath Railway Station", "transport"),
    ("Morriston Hospital", "hospital"), ("Singleton Hospital", "hospital"),
    ("Neath Port Talbot Hospital", "hospital"), ("Ysgol Gyfun Gŵyr", "school"),
    ("Cefn Hengoed Community School", "school"), ("Premier Inn", "hotel"),
    ("Ty Gwyn Supported Housing", "supported_accommodation"), ("Chicken Hut", "takeaway"),
)

POLICE_CATEGORIES = (
    ("Domestic abuse", 26), ("Concern for welfare", 18), ("Assault", 12), ("Anti-social behaviour", 12),
    ("Criminal damage", 7), ("Theft", 8), ("Missing person", 5), ("Drugs", 5),
    ("Public order", 5), ("Sexual offence", 2),
)
NON_RESIDENTIAL_CATEGORIES = (
    ("Assault", 20), ("Public order", 18), ("Theft", 18), ("Anti-social behaviour", 16),
    ("Drugs", 10), ("Concern for welfare", 10), ("Criminal damage", 8),
)
