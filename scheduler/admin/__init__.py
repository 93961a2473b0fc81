"""The clinic admin's changes: locations and hours, rooms, services, practitioners and their
certificates, time off; none may strand a booked visit. Imports `scheduling` and below.
"""
