MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 12, "decimal_places": 4}
QUANTITY = {"max_digits": 14, "decimal_places": 4}
