"""The second region's place: Bridgend, Rhondda Cynon Taf and Merthyr Tydfil (Cwm Taf
Morgannwg), drawn unlike the demo's Swansea and Neath Port Talbot so that nothing the
resolver learned from the demo's street lists carries over."""

from __future__ import annotations

from mast.demo.world import Gazetteer

BRIDGEND = "Bridgend"
RCT = "Rhondda Cynon Taf"
MERTHYR = "Merthyr Tydfil"

# (locality, town, local authority, postcode districts)
LOCALITIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Brackla", "Bridgend", BRIDGEND, ("CF31",)),
    ("Cefn Glas", "Bridgend", BRIDGEND, ("CF31",)),
    ("Pen-y-fai", "Bridgend", BRIDGEND, ("CF31",)),
    ("Pencoed", "Bridgend", BRIDGEND, ("CF35",)),
    ("Pyle", "Bridgend", BRIDGEND, ("CF33",)),
    ("Ogmore Vale", "Bridgend", BRIDGEND, ("CF32",)),
    ("Maesteg", "Maesteg", BRIDGEND, ("CF34",)),
    ("Caerau", "Maesteg", BRIDGEND, ("CF34",)),
    ("Porthcawl", "Porthcawl", BRIDGEND, ("CF36",)),
    ("Nottage", "Porthcawl", BRIDGEND, ("CF36",)),
    ("Treforest", "Pontypridd", RCT, ("CF37",)),
    ("Trallwn", "Pontypridd", RCT, ("CF37",)),
    ("Cilfynydd", "Pontypridd", RCT, ("CF37",)),
    ("Porth", "Porth", RCT, ("CF39",)),
    ("Tonyrefail", "Porth", RCT, ("CF39",)),
    ("Tonypandy", "Tonypandy", RCT, ("CF40",)),
    ("Penygraig", "Tonypandy", RCT, ("CF40",)),
    ("Treorchy", "Treorchy", RCT, ("CF42",)),
    ("Ferndale", "Ferndale", RCT, ("CF43",)),
    ("Aberdare", "Aberdare", RCT, ("CF44",)),
    ("Trecynon", "Aberdare", RCT, ("CF44",)),
    ("Mountain Ash", "Mountain Ash", RCT, ("CF45",)),
    ("Talbot Green", "Pontyclun", RCT, ("CF72",)),
    ("Beddau", "Pontypridd", RCT, ("CF38",)),
    ("Gurnos", "Merthyr Tydfil", MERTHYR, ("CF47",)),
    ("Dowlais", "Merthyr Tydfil", MERTHYR, ("CF48",)),
    ("Troedyrhiw", "Merthyr Tydfil", MERTHYR, ("CF48",)),
    ("Treharris", "Treharris", MERTHYR, ("CF46",)),
)

# Welsh street types stand first (Heol y Graig); English ones last (Taff Street).
WELSH_HEADS = ("Heol", "Ffordd", "Teras", "Cilgant", "Rhodfa", "Lôn", "Stryd", "Clos", "Maes")
WELSH_TAILS = (
    "y Graig",
    "Fach",
    "Cae Mawr",
    "Tŷ Coch",
    "Llanwonno",
    "Gelli",
    "y Cwm",
    "Cynon",
    "Ogwr",
    "Llynfi",
    "Dyfodwg",
    "Aneurin",
    "Morgannwg",
    "y Bont",
    "Penrhiw",
    "Glyn",
    "Penybryn",
    "y Nant",
    "Tyle",
    "Pant",
    "Hywel",
)
ENGLISH_HEADS = (
    "Coity",
    "Merthyr",
    "Cardiff",
    "Llantrisant",
    "Dunraven",
    "Taff",
    "Cemetery",
    "Commercial",
    "Hannah",
    "Gelliwastad",
    "Castle",
    "Bethel",
    "Brook",
    "Woodland",
    "Glanrhyd",
    "Alexandra",
    "Bute",
    "Dan-y-Graig",
    "Penrhys",
    "Windsor",
    "Eaton",
    "St Tydfil's",
    "St Mary's",
    "St John's",
    "Ynysybwl",
    "Nolton",
)
ENGLISH_TAILS = (
    "Street",
    "Road",
    "Avenue",
    "Terrace",
    "Close",
    "Crescent",
    "Lane",
    "Drive",
    "Gardens",
    "Place",
    "Court",
    "Hill",
    "Row",
    "Square",
)

# Named premises: generic names ("Bus Station") recur in several towns.
PREMISES: tuple[tuple[str, str], ...] = (
    ("Bus Station", "transport"),
    ("Railway Station", "transport"),
    ("The Red Lion", "pub"),
    ("The Royal Oak", "pub"),
    ("The Colliers Arms", "pub"),
    ("The Miners Arms", "pub"),
    ("The White Hart", "pub"),
    ("Y Ffynnon", "pub"),
    ("The Tumble Inn", "pub"),
    ("Co-op", "shop"),
    ("Spar", "shop"),
    ("Iceland", "shop"),
    ("Londis", "shop"),
    ("Greggs", "shop"),
    ("Royal Glamorgan Hospital", "hospital"),
    ("Princess of Wales Hospital", "hospital"),
    ("Prince Charles Hospital", "hospital"),
    ("Ysbyty Cwm Rhondda", "hospital"),
    ("Ysgol Gyfun Garth Olwg", "school"),
    ("Brynteg School", "school"),
    ("Afon Taf High School", "school"),
    ("Ysgol Gyfun Cwm Rhondda", "school"),
    ("Tŷ Nos Hostel", "hostel"),
    ("Bridgend YMCA", "hostel"),
    ("Travelodge", "hotel"),
    ("Taff Kebab House", "takeaway"),
    ("Llys Cynon Supported Housing", "supported_accommodation"),
)

HOUSE_NAMES = (
    "Bryn Awel",
    "Tŷ Gwyn",
    "Hafod",
    "Glan yr Afon",
    "Rose Cottage",
    "The Old Chapel",
    "Penlan",
    "Maes y Coed",
    "Brynhyfryd",
    "Ael y Bryn",
)

GAZETTEER = Gazetteer(
    LOCALITIES,
    WELSH_HEADS,
    WELSH_TAILS,
    ENGLISH_HEADS,
    ENGLISH_TAILS,
    PREMISES,
    block_names=("Colliery", "Chapel", "Bethesda", "Station", "Cynon", "Brynteg"),
    welsh_share=0.4,
    copies=(("shop", 3), ("pub", 3), ("transport", 4)),
    named_houses=0.03,
    house_names=HOUSE_NAMES,
    flats_above=("pub", "shop", "takeaway"),
)
