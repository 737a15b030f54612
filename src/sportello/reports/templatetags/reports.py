from django import template

register = template.Library()


@register.filter
def cell(row: dict, key: str):
    """`{{ row|cell:column.key }}`: a row's value for a column named at run time."""
    return row.get(key, "")
