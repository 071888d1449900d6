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

# (department, ((subcategory, price_low, price_high, product nouns), ...)).
# "Smartwatches" and "Gift Cards" deliberately get no products (an edge case the questions use).
DEPARTMENTS: tuple[tuple[str, tuple[tuple[str, float, float, tuple[str, ...]], ...]], ...] = (
    ("Electronics", (
        ("Audio", 19, 349, ("Wireless Earbuds", "Bluetooth Speaker", "Studio Headphones", "Soundbar",
                            "Portable Radio", "Turntable", "Noise-Cancelling Headphones", "Desk Microphone")),
        ("Computer Accessories", 9, 189, ("Mechanical Keyboard", "Wireless Mouse", "USB-C Hub", "Laptop Stand",
                                          "Webcam", "Monitor Arm", "External SSD", "Mouse Pad")),
        ("Smart Home", 15, 249, ("Smart Plug", "Video Doorbell", "Smart Thermostat", "Motion Sensor",
                                 "Smart Bulb", "Security Camera", "Wi-Fi Extender")),
        ("Cameras", 49, 899, ("Action Camera", "Instant Camera", "Camera Tripod", "Mirrorless Camera",
                              "Camera Bag", "Zoom Lens")),
        ("Smartwatches", 99, 399, ()),
    )),
    ("Home & Kitchen", (
        ("Cookware", 12, 259, ("Cast Iron Skillet", "Nonstick Frying Pan", "Dutch Oven", "Saucepan Set",
                               "Chef Knife", "Cutting Board", "Stock Pot")),
        ("Furniture", 39, 899, ("Bookshelf", "Office Chair", "Coffee Table", "Bar Stool", "Standing Desk",
                                "Shoe Rack", "Nightstand")),
        ("Lighting", 14, 199, ("Desk Lamp", "Floor Lamp", "String Lights", "Pendant Light", "Reading Lamp",
                               "Night Light")),
        ("Bedding", 19, 229, ("Duvet Cover", "Pillow Set", "Weighted Blanket", "Sheet Set", "Mattress Topper",
                              "Throw Blanket")),
    )),
    ("Clothing", (
        ("Outerwear", 39, 329, ("Rain Jacket", "Puffer Coat", "Fleece Jacket", "Wool Overcoat", "Windbreaker",
                                "Down Vest")),
        ("Footwear", 29, 219, ("Running Shoes", "Hiking Boots", "Canvas Sneakers", "Leather Loafers",
                               "Slippers", "Trail Sandals")),
        ("Activewear", 14, 119, ("Yoga Leggings", "Training Shorts", "Sports Bra", "Running Tee",
                                 "Track Jacket", "Compression Socks")),
    )),
    ("Books", (
        ("Fiction", 8, 34, ()),
        ("Cookbooks", 14, 49, ()),
        ("Travel Guides", 11, 39, ()),
    )),
    ("Sports & Outdoors", (
        ("Camping", 15, 499, ("Dome Tent", "Sleeping Bag", "Camping Stove", "Headlamp", "Folding Chair",
                              "Water Filter", "Cooler Box")),
        ("Cycling", 9, 1299, ("Bike Helmet", "Bike Lock", "Cycling Gloves", "Bike Pump", "Road Bike",
                              "Bike Lights", "Saddle Bag")),
        ("Fitness", 12, 699, ("Yoga Mat", "Kettlebell", "Resistance Bands", "Adjustable Dumbbells",
                              "Jump Rope", "Foam Roller", "Rowing Machine")),
    )),
    ("Beauty", (
        ("Skincare", 8, 89, ("Face Moisturizer", "Vitamin C Serum", "Sunscreen", "Cleansing Balm",
                             "Eye Cream", "Clay Mask")),
        ("Hair Care", 7, 159, ("Shampoo", "Conditioner", "Hair Dryer", "Hair Oil", "Curling Iron",
                               "Detangling Brush")),
        ("Fragrance", 25, 149, ("Eau de Parfum", "Eau de Toilette", "Body Mist", "Scented Candle",
                                "Solid Perfume")),
    )),
    ("Toys & Games", (
        ("Board Games", 14, 79, ()),
        ("Puzzles", 9, 49, ("Jigsaw Puzzle", "3D Puzzle", "Puzzle Box", "Brain Teaser Set", "Puzzle Mat")),
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

# Country, weight. About 2% of customers leave the country empty (NULL).
COUNTRIES = (
    ("United States", 34), ("United Kingdom", 12), ("Canada", 9), ("Germany", 8), ("France", 6),
    ("Australia", 6), ("Spain", 4), ("Italy", 4), ("Netherlands", 4), ("Sweden", 3), ("Ireland", 3),
    ("Japan", 2), ("Brazil", 2), ("Mexico", 2), ("India", 1),
)
NULL_COUNTRY_RATE = 0.02

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
