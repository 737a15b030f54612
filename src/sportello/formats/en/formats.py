# One date format in every page, PDF and email: "11 November 2026".
DATE_FORMAT = SHORT_DATE_FORMAT = "j F Y"
DATETIME_FORMAT = SHORT_DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
# Where room is short (the staff queue's columns): "7 Dec, 10:15", the year only when it is not
# the current one (`sportello.core.formatting.compact_date`). No-break spaces: a date
# never wraps inside.
COMPACT_DATE_FORMAT = "j\u00a0M"
COMPACT_DATETIME_FORMAT = "j\u00a0M,\u00a0H:i"
COMPACT_YEAR_DATE_FORMAT = "j\u00a0M\u00a0Y"
COMPACT_YEAR_DATETIME_FORMAT = "j\u00a0M\u00a0Y,\u00a0H:i"
COMPACT_MONTH_FORMAT = "M Y"  # a chart's axis
