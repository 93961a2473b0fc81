"""Patients waiting for a time, and the offers made to them when one opens up.
Imports `staff`, `admin`, `scheduling` and below.
"""
