"""Vocabulary the demo catalog is built from: category tree, brands, product words.

Kept apart from the generator so the catalog can grow by editing data, not code.
"""

from __future__ import annotations

from dataclasses import dataclass

APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SHOE_SIZES = ("6", "7", "8", "9", "10", "11", "12")
SOCK_SIZES = ("S", "M", "L")

COLORS = (
    "Black", "White", "Navy", "Charcoal", "Olive", "Red", "Blue", "Green",
    "Grey", "Sand", "Burgundy", "Teal", "Orange", "Pink", "Forest Green", "Slate",
)  # fmt: skip


@dataclass(frozen=True)
class Leaf:
    """A leaf category: how its products are named, priced and varied."""

    name: str
    parent: str
    prefix: str  # SKU prefix, three letters
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]
    price: tuple[int, int]  # typical price range in dollars
    materials: tuple[str, ...]
    sizes: tuple[str, ...] = ()
    colored: bool = True
    weight: float = 1.0  # share of the catalog


LEAVES: tuple[Leaf, ...] = (
    Leaf(
        "Jackets",
        "Apparel",
        "JKT",
        ("Fleece", "Down", "Rain", "Softshell", "Insulated", "Packable", "Quilted", "Storm"),
        ("Jacket", "Parka", "Anorak", "Shell", "Vest"),
        (59, 289),
        ("recycled polyester", "800-fill responsibly sourced down", "nylon ripstop", "merino lining"),
        APPAREL_SIZES,
        weight=1.3,
    ),
    Leaf(
        "T-Shirts",
        "Apparel",
        "TSH",
        ("Classic", "Organic", "Performance", "Everyday", "Vintage", "Slub", "Pocket", "Trail"),
        ("Tee", "T-Shirt", "Crew Tee", "V-Neck", "Henley"),
        (14, 45),
        ("organic cotton", "cotton-modal blend", "recycled polyester", "merino wool"),
        APPAREL_SIZES,
        weight=1.2,
    ),
    Leaf(
        "Hoodies",
        "Apparel",
        "HOD",
        ("Heavyweight", "Zip", "Cozy", "Fleece", "Terry", "Oversized", "Midweight", "Campus"),
        ("Hoodie", "Pullover", "Sweatshirt", "Zip Hoodie"),
        (35, 95),
        ("brushed cotton fleece", "French terry", "recycled cotton blend"),
        APPAREL_SIZES,
    ),
    Leaf(
        "Pants",
        "Apparel",
        "PNT",
        ("Stretch", "Cargo", "Chino", "Trail", "Jogger", "Slim", "Relaxed", "Utility"),
        ("Pant", "Trouser", "Jogger", "Short"),
        (29, 120),
        ("stretch twill", "cotton canvas", "nylon-spandex", "organic denim"),
        APPAREL_SIZES,
    ),
    Leaf(
        "Socks",
        "Apparel",
        "SCK",
        ("Cushioned", "Merino", "Ankle", "Crew", "Compression", "Hiking", "Running", "No-Show"),
        ("Sock", "Sock 3-Pack", "Crew Sock", "Trail Sock"),
        (9, 29),
        ("merino wool blend", "cotton-nylon blend", "recycled polyester"),
        SOCK_SIZES,
        weight=1.1,
    ),
    Leaf(
        "Running Shoes",
        "Footwear",
        "RUN",
        ("Nimbus", "Tempo", "Swift", "Glide", "Pulse", "Velocity", "Stride", "Cloud"),
        ("Running Shoe", "Trail Runner", "Racer", "Road Shoe"),
        (79, 189),
        ("engineered mesh upper", "EVA foam midsole", "carbon-fiber plate", "rubber outsole"),
        SHOE_SIZES,
        weight=1.3,
    ),
    Leaf(
        "Hiking Boots",
        "Footwear",
        "BOT",
        ("Ridge", "Summit", "Granite", "Alpine", "Canyon", "Timber", "Traverse", "Basecamp"),
        ("Hiking Boot", "Mid Boot", "Approach Shoe", "Trail Boot"),
        (99, 249),
        ("full-grain leather", "waterproof membrane", "Vibram outsole", "suede and mesh"),
        SHOE_SIZES,
    ),
    Leaf(
        "Sandals",
        "Footwear",
        "SND",
        ("Coastal", "Everyday", "Sport", "River", "Cork", "Slide", "Strappy", "Boardwalk"),
        ("Sandal", "Slide", "Flip-Flop", "Water Sandal"),
        (25, 89),
        ("cork footbed", "recycled rubber", "quick-dry webbing"),
        SHOE_SIZES,
        weight=0.7,
    ),
    Leaf(
        "Backpacks",
        "Outdoor",
        "BPK",
        ("Daypack", "Trail", "Commuter", "Rolltop", "Ultralight", "Expedition", "Urban", "Summit"),
        ("Backpack", "Pack 22L", "Pack 30L", "Travel Pack", "Hydration Pack"),
        (39, 229),
        ("ripstop nylon", "recycled polyester canvas", "waxed cotton", "Dyneema composite"),
        weight=1.1,
    ),
    Leaf(
        "Tents",
        "Outdoor",
        "TNT",
        ("Backcountry", "Family", "Ultralight", "Dome", "Trekking", "Four-Season", "Basecamp", "Pop-Up"),
        ("2-Person Tent", "4-Person Tent", "Tent", "Shelter", "Tarp"),
        (89, 599),
        ("silnylon fly", "aluminum poles", "polyester mesh", "coated ripstop floor"),
        weight=0.7,
    ),
    Leaf(
        "Water Bottles",
        "Outdoor",
        "BTL",
        ("Insulated", "Collapsible", "Stainless", "Wide-Mouth", "Filter", "Sport", "Trail", "Everyday"),
        ("Bottle", "Flask", "Tumbler", "Hydration Bottle"),
        (12, 49),
        ("18/8 stainless steel", "BPA-free Tritan", "food-grade silicone"),
        weight=0.9,
    ),
    Leaf(
        "Kitchen",
        "Home",
        "KIT",
        ("Cast Iron", "Nonstick", "Ceramic", "Bamboo", "Chef's", "Copper", "Everyday", "Pro"),
        ("Skillet", "Knife", "Cutting Board", "Saucepan", "French Press", "Mixing Bowl Set"),
        (15, 199),
        ("pre-seasoned cast iron", "German stainless steel", "FSC bamboo", "stoneware"),
        weight=1.2,
    ),
    Leaf(
        "Bedding",
        "Home",
        "BED",
        ("Linen", "Percale", "Sateen", "Flannel", "Cloud", "Waffle", "Cooling", "Organic"),
        ("Sheet Set", "Duvet Cover", "Pillow", "Throw Blanket", "Quilt"),
        (29, 249),
        ("stonewashed linen", "long-staple cotton", "TENCEL lyocell", "down alternative fill"),
        weight=0.9,
    ),
    Leaf(
        "Lighting",
        "Home",
        "LGT",
        ("Dimmable", "Smart", "Rechargeable", "Vintage", "Arc", "Minimal", "LED", "Camp"),
        ("Desk Lamp", "Floor Lamp", "Headlamp", "Lantern", "String Lights"),
        (19, 179),
        ("brushed aluminum", "linen shade", "recycled ABS", "solid oak base"),
        weight=0.8,
    ),
    Leaf(
        "Headphones",
        "Electronics",
        "HPH",
        ("Wireless", "Noise-Cancelling", "Studio", "Sport", "Open-Ear", "Over-Ear", "True Wireless", "Bass"),
        ("Headphones", "Earbuds", "Headset", "In-Ear Monitors"),
        (29, 349),
        ("memory foam ear cushions", "aluminum housing", "sweat-resistant silicone"),
        weight=1.1,
    ),
    Leaf(
        "Speakers",
        "Electronics",
        "SPK",
        ("Portable", "Waterproof", "Smart", "Bookshelf", "Party", "Mini", "Rugged", "Studio"),
        ("Speaker", "Soundbar", "Bluetooth Speaker", "Subwoofer"),
        (39, 399),
        ("fabric grille", "anodized aluminum", "rubberized shell"),
        weight=0.8,
    ),
    Leaf(
        "Chargers",
        "Electronics",
        "CHG",
        ("Fast", "Wireless", "Solar", "Compact", "Dual-Port", "Travel", "Magnetic", "GaN"),
        ("Charger", "Power Bank", "Charging Pad", "USB-C Cable"),
        (12, 89),
        ("braided nylon", "fire-resistant polycarbonate", "aluminum"),
        weight=0.8,
    ),
    Leaf(
        "Skincare",
        "Beauty",
        "SKN",
        ("Hydrating", "Gentle", "Brightening", "Daily", "Mineral", "Renewing", "Soothing", "Clarifying"),
        ("Moisturizer", "Cleanser", "Serum", "Sunscreen SPF 30", "Face Mask"),
        (9, 79),
        ("hyaluronic acid", "niacinamide", "aloe vera", "zinc oxide", "shea butter"),
        colored=False,
        weight=1.0,
    ),
    Leaf(
        "Hair Care",
        "Beauty",
        "HAR",
        ("Repair", "Volumizing", "Curl", "Daily", "Argan", "Clarifying", "Smoothing", "Scalp"),
        ("Shampoo", "Conditioner", "Hair Oil", "Styling Cream", "Hair Mask"),
        (8, 49),
        ("argan oil", "keratin", "tea tree oil", "coconut oil"),
        colored=False,
        weight=0.8,
    ),
    Leaf(
        "Building Sets",
        "Toys",
        "BLD",
        ("Creative", "Space", "City", "Castle", "Robot", "Marble Run", "Deluxe", "Starter"),
        ("Building Set", "Brick Kit", "Construction Set", "STEM Kit"),
        (15, 149),
        ("ABS plastic", "FSC-certified wood", "recycled plastic"),
        colored=False,
        weight=0.8,
    ),
    Leaf(
        "Puzzles",
        "Toys",
        "PZL",
        ("Landscape", "Wildlife", "Map", "Gradient", "Vintage", "Family", "Mystery", "Art"),
        ("1000-Piece Puzzle", "500-Piece Puzzle", "3D Puzzle", "Puzzle Box"),
        (12, 45),
        ("recycled board", "birch plywood", "matte linen-finish print"),
        colored=False,
        weight=0.6,
    ),
    Leaf(
        "Yoga",
        "Sports",
        "YGA",
        ("Eco", "Grip", "Travel", "Cork", "Cushioned", "Balance", "Studio", "Flow"),
        ("Yoga Mat", "Yoga Block", "Yoga Strap", "Mat Towel", "Legging"),
        (15, 129),
        ("natural tree rubber", "cork", "TPE foam", "recycled nylon"),
        weight=0.9,
    ),
    Leaf(
        "Fitness",
        "Sports",
        "FIT",
        ("Adjustable", "Pro", "Home", "Resistance", "Compact", "Power", "Core", "Heavy-Duty"),
        ("Dumbbell Set", "Kettlebell", "Resistance Bands", "Jump Rope", "Foam Roller"),
        (15, 299),
        ("cast iron", "natural latex", "high-density foam", "steel"),
        weight=0.9,
    ),
    Leaf(
        "Cycling",
        "Sports",
        "CYC",
        ("Aero", "Trail", "Commuter", "Gravel", "Road", "Night", "Endurance", "Urban"),
        ("Helmet", "Bike Light", "Cycling Jersey", "Saddle Bag", "Bike Lock"),
        (19, 249),
        ("EPS foam", "polycarbonate shell", "hardened steel", "recycled polyester"),
        weight=0.8,
    ),
)

PARENTS: tuple[str, ...] = tuple(dict.fromkeys(leaf.parent for leaf in LEAVES))

BRANDS_BY_PARENT: dict[str, tuple[str, ...]] = {
    "Apparel": ("Summit", "Northfield", "Harbor & Pine", "Ridgeline", "Tidewater", "Alder", "Kestrel"),
    "Footwear": ("Nimbus", "Stridewell", "Ridgeline", "Terra Trek", "Kestrel", "Alder"),
    "Outdoor": ("Summit", "Basecamp Co.", "Terra Trek", "Wildwood", "Ridgeline", "Cascadia"),
    "Home": ("Hearth & Co.", "Oak & Ember", "Linenry", "Lumen House", "Copperline"),
    "Electronics": ("Auralux", "Voltwave", "Sonique", "Pixelfin", "Brightcell"),
    "Beauty": ("Glow Botanica", "Pure Ritual", "Dermacore", "Sol & Sea"),
    "Toys": ("Brickwise", "Little Atlas", "Puzzlecraft", "Wonderbox"),
    "Sports": ("Flowfit", "Ironpeak", "Velocity Labs", "Kestrel", "Cascadia"),
}

MODEL_SUFFIXES = ("", "", "", "", "Pro", "Lite", "II", "2.0", "Max", "Plus", "X", "Edition")

# Leaves whose products are often bought together (shoe + socks): the recommender mines these.
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "Running Shoes": ("Socks", "Water Bottles"),
    "Hiking Boots": ("Socks", "Backpacks"),
    "Jackets": ("Hoodies", "Backpacks"),
    "Backpacks": ("Water Bottles", "Lighting"),
    "Tents": ("Lighting", "Bedding"),
    "Headphones": ("Chargers",),
    "Speakers": ("Chargers",),
    "Yoga": ("Water Bottles", "T-Shirts"),
    "Cycling": ("Water Bottles", "Lighting"),
    "Skincare": ("Hair Care",),
    "Building Sets": ("Puzzles",),
    "Kitchen": ("Kitchen",),
    "Fitness": ("T-Shirts", "Water Bottles"),
    "Pants": ("T-Shirts",),
}

SENTENCE_OPENERS = (
    "The {name} is built for {use}.",
    "Meet the {name}: {brand}'s answer to {use}.",
    "Designed for {use}, the {name} keeps things simple.",
    "{brand} made the {name} for {use}.",
)
SENTENCE_FEATURES = (
    "It uses {material} for {benefit}.",
    "Made with {material}, it offers {benefit}.",
    "{material_cap} gives it {benefit}.",
)
SENTENCE_CLOSERS = (
    "Backed by our one-year warranty.",
    "A customer favourite season after season.",
    "Easy to care for and made to last.",
    "Pairs well with the rest of the {brand} range.",
)
USES = {
    "Apparel": ("cold mornings and city commutes", "everyday wear", "trail days and travel"),
    "Footwear": ("long runs and daily miles", "rocky trails", "all-day comfort"),
    "Outdoor": ("weekend adventures", "multi-day trips", "life outdoors"),
    "Home": ("a calmer, better-equipped home", "everyday cooking", "slow evenings in"),
    "Electronics": ("music on the move", "work calls and focus time", "staying charged anywhere"),
    "Beauty": ("a simple daily routine", "sensitive skin", "healthy-looking hair"),
    "Toys": ("rainy afternoons", "curious young builders", "family game night"),
    "Sports": ("home workouts", "studio sessions", "training that adds up"),
}
BENEFITS = (
    "durability without extra weight", "lasting comfort", "a soft, premium feel",
    "reliable performance", "easy care", "a lower environmental footprint",
)  # fmt: skip

RETURN_REASONS = (
    "Too small", "Too large", "Changed my mind", "Arrived damaged", "Not as described",
    "Wrong item received", "Better price elsewhere", "Quality not as expected",
)  # fmt: skip

CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
HUBS = (
    "Memphis, TN", "Louisville, KY", "Indianapolis, IN", "Chicago, IL", "Dallas, TX",
    "Ontario, CA", "Atlanta, GA", "Newark, NJ", "Salt Lake City, UT", "Columbus, OH",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
