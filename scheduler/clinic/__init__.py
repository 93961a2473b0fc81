"""The clinic's records: sites, rooms, services, practitioners and patients, their set-up,
and the catalogue every transaction reads them through. Imports `core` and `models`.
"""
