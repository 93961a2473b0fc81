"""The clinic admin's pages."""
