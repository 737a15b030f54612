# One date format in every page, PDF and email: "11 de noviembre de 2026".
DATE_FORMAT = SHORT_DATE_FORMAT = r"j \d\e F \d\e Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i"
MONTH_DAY_FORMAT = r"j \d\e F"
YEAR_MONTH_FORMAT = r"F \d\e Y"
# Where room is short (the staff queue's columns): "7 dic, 10:15", the year only when it is not
# the current one (`sportello.core.formatting.compact_date`). No-break spaces: a date
# never wraps inside.
COMPACT_DATE_FORMAT = "j\u00a0b"
COMPACT_DATETIME_FORMAT = "j\u00a0b,\u00a0H:i"
COMPACT_YEAR_DATE_FORMAT = "j\u00a0b\u00a0Y"
COMPACT_YEAR_DATETIME_FORMAT = "j\u00a0b\u00a0Y,\u00a0H:i"
COMPACT_MONTH_FORMAT = "b Y"  # a chart's axis
