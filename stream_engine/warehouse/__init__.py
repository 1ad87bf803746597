"""Warehouse helpers: the dim_date calendar dimension."""
