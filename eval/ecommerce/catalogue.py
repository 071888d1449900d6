"""Fixed vocabularies the generator draws from: departments, products, countries, review texts.

Kept apart from the generator so the shape of the shop (what it sells, where customers live) can be
read at a glance. Everything here is a plain tuple so iteration order never depends on hashing.
"""

from __future__ import annotations

import datetime as dt

# Dates are fixed, never taken from the clock: the same seed must give the same file on any day.
STORE_OPENED = dt.date(2022, 1, 1)
DATA_END = dt.date(2025, 6, 30)

STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "returned")

# (department, ((subcategory, price_low, price_high, ((product noun, typical price), ...)), ...)).
# Prices vary +-35% around the typical price; titled goods (books, board games) use the range.
# "Smartwatches" and "Gift Cards" deliberately get no products (an edge case the questions use).
Nouns = tuple[tuple[str, float], ...]
DEPARTMENTS: tuple[tuple[str, tuple[tuple[str, float, float, Nouns], ...]], ...] = (
    ("Electronics", (
        ("Audio", 19, 349, (("Wireless Earbuds", 79), ("Bluetooth Speaker", 59), ("Studio Headphones", 189),
                            ("Soundbar", 249), ("Portable Radio", 39), ("Turntable", 219),
                            ("Noise-Cancelling Headphones", 299), ("Desk Microphone", 89))),
        ("Computer Accessories", 9, 189, (("Mechanical Keyboard", 119), ("Wireless Mouse", 29), ("USB-C Hub", 45),
                                          ("Laptop Stand", 39), ("Webcam", 69), ("Monitor Arm", 99),
                                          ("External SSD", 129), ("Mouse Pad", 12))),
        ("Smart Home", 15, 249, (("Smart Plug", 19), ("Video Doorbell", 149), ("Smart Thermostat", 199),
                                 ("Motion Sensor", 29), ("Smart Bulb", 15), ("Security Camera", 89),
                                 ("Wi-Fi Extender", 49))),
        ("Cameras", 49, 899, (("Action Camera", 299), ("Instant Camera", 89), ("Camera Tripod", 49),
                              ("Mirrorless Camera", 849), ("Camera Bag", 59), ("Zoom Lens", 499))),
        ("Smartwatches", 99, 399, ()),
    )),
    ("Home & Kitchen", (
        ("Cookware", 12, 259, (("Cast Iron Skillet", 39), ("Nonstick Frying Pan", 35), ("Dutch Oven", 99),
                               ("Saucepan Set", 149), ("Chef Knife", 79), ("Cutting Board", 25), ("Stock Pot", 55))),
        ("Furniture", 39, 899, (("Bookshelf", 159), ("Office Chair", 249), ("Coffee Table", 199), ("Bar Stool", 79),
                                ("Standing Desk", 499), ("Shoe Rack", 45), ("Nightstand", 119))),
        ("Lighting", 14, 199, (("Desk Lamp", 39), ("Floor Lamp", 89), ("String Lights", 19), ("Pendant Light", 129),
                               ("Reading Lamp", 49), ("Night Light", 14))),
        ("Bedding", 19, 229, (("Duvet Cover", 69), ("Pillow Set", 49), ("Weighted Blanket", 119), ("Sheet Set", 79),
                              ("Mattress Topper", 149), ("Throw Blanket", 39))),
    )),
    ("Clothing", (
        ("Outerwear", 39, 329, (("Rain Jacket", 119), ("Puffer Coat", 189), ("Fleece Jacket", 69),
                                ("Wool Overcoat", 279), ("Windbreaker", 59), ("Down Vest", 99))),
        ("Footwear", 29, 219, (("Running Shoes", 129), ("Hiking Boots", 169), ("Canvas Sneakers", 55),
                               ("Leather Loafers", 139), ("Slippers", 29), ("Trail Sandals", 65))),
        ("Activewear", 14, 119, (("Yoga Leggings", 59), ("Training Shorts", 35), ("Sports Bra", 39),
                                 ("Running Tee", 29), ("Track Jacket", 79), ("Compression Socks", 19))),
    )),
    ("Books", (
        ("Fiction", 8, 34, ()),
        ("Cookbooks", 14, 49, ()),
        ("Travel Guides", 11, 39, ()),
    )),
    ("Sports & Outdoors", (
        ("Camping", 15, 499, (("Dome Tent", 249), ("Sleeping Bag", 119), ("Camping Stove", 69), ("Headlamp", 29),
                              ("Folding Chair", 45), ("Water Filter", 39), ("Cooler Box", 159))),
        ("Cycling", 9, 1299, (("Bike Helmet", 79), ("Bike Lock", 45), ("Cycling Gloves", 29), ("Bike Pump", 35),
                              ("Road Bike", 1099), ("Bike Lights", 39), ("Saddle Bag", 25))),
        ("Fitness", 12, 699, (("Yoga Mat", 39), ("Kettlebell", 49), ("Resistance Bands", 19),
                              ("Adjustable Dumbbells", 299), ("Jump Rope", 15), ("Foam Roller", 29),
                              ("Rowing Machine", 649))),
    )),
    ("Beauty", (
        ("Skincare", 8, 89, (("Face Moisturizer", 29), ("Vitamin C Serum", 35), ("Sunscreen", 15),
                             ("Cleansing Balm", 25), ("Eye Cream", 39), ("Clay Mask", 19))),
        ("Hair Care", 7, 159, (("Shampoo", 12), ("Conditioner", 12), ("Hair Dryer", 129), ("Hair Oil", 22),
                               ("Curling Iron", 59), ("Detangling Brush", 14))),
        ("Fragrance", 25, 149, (("Eau de Parfum", 119), ("Eau de Toilette", 79), ("Body Mist", 25),
                                ("Scented Candle", 29), ("Solid Perfume", 35))),
    )),
    ("Toys & Games", (
        ("Board Games", 14, 79, ()),
        ("Puzzles", 9, 49, (("Jigsaw Puzzle", 22), ("3D Puzzle", 35), ("Puzzle Box", 29), ("Brain Teaser Set", 19),
                            ("Puzzle Mat", 25))),
    )),
    ("Gift Cards", ()),
)

BRANDS = (
    "Aurelo", "Nordvik", "Brightwell", "Calloway", "Dunmore", "Everhart", "Fenwick", "Glenbrook",
    "Halvard", "Ironleaf", "Juniper", "Kestrel", "Larkspur", "Marlowe", "Northgate", "Oakridge",
    "Pinecrest", "Quillon", "Redfern", "Stonebridge", "Tidewell", "Umbra", "Vantage", "Westbury",
)

# Book and board-game titles are built from these instead of brand + noun.
TITLE_ADJECTIVES = ("Silent", "Golden", "Hidden", "Last", "Midnight", "Forgotten", "Crimson", "Wild",
                    "Quiet", "Distant", "Little", "Winter", "Broken", "Secret", "Salt", "Paper")
TITLE_NOUNS = ("Harbor", "Garden", "River", "Kingdom", "Lighthouse", "Orchard", "Compass", "Island",
               "Forest", "Letters", "Summer", "Mountain", "Station", "Tides", "Atlas", "Bridge")
COOKBOOK_TOPICS = ("Weeknight Dinners", "Plant-Based Kitchen", "Slow Cooker Classics", "Baking Basics",
                   "Mediterranean Table", "One-Pot Meals", "Fermentation at Home", "Street Food",
                   "Sourdough Bread", "Quick Breakfasts")
TRAVEL_PLACES = ("Portugal", "Japan", "Iceland", "Scotland", "Peru", "Vietnam", "Morocco", "Norway",
                 "New Zealand", "Croatia", "Mexico City", "Tuscany")
BOARD_GAME_WORDS = ("Castles", "Pirates", "Railways", "Dragons", "Harvest", "Galaxy", "Merchants",
                    "Volcano", "Expedition", "Orchard")

# Country, weight. About 4% of customers leave the country empty (NULL).
COUNTRIES = (
    ("United States", 34), ("United Kingdom", 12), ("Canada", 9), ("Germany", 8), ("France", 6),
    ("Australia", 6), ("Spain", 4), ("Italy", 4), ("Netherlands", 4), ("Sweden", 3), ("Ireland", 3),
    ("Japan", 2), ("Brazil", 2), ("Mexico", 2), ("India", 1),
)
NULL_COUNTRY_RATE = 0.04

REVIEW_TEXTS = {
    5: ("Absolutely love it, great quality for the price.", "Exceeded my expectations. Would buy again.",
        "Perfect! Arrived quickly and works exactly as described.", "Excellent quality, my new favourite.",
        "Bought it as a gift and they loved it.", "Fast shipping and great packaging. Five stars."),
    4: ("Very good overall, shipping was a bit slow.", "Good value, minor issues with the packaging.",
        "Solid quality. The colour is slightly different from the photos.",
        "Really nice, though the size runs a little small.", "Works well, would recommend at this price."),
    3: ("It's okay. Does the job but nothing special.", "Average quality; the price is fair.",
        "Mixed feelings: looks nice but feels flimsy.", "Decent, but shipping took almost two weeks."),
    2: ("Disappointed, the material feels cheap.", "Stopped working after a few weeks.",
        "Not worth the price. Packaging was damaged.", "The size is wrong and the quality is poor."),
    1: ("Terrible. Broke on the first day.", "Not as described, I returned it.",
        "Arrived damaged and customer service never replied.", "Worst purchase this year, avoid."),
}
RATING_WEIGHTS = ((5, 44), (4, 28), (3, 13), (2, 8), (1, 7))
NULL_BODY_RATE = 0.12
