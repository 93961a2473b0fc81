"""What patients do themselves: their visit's personal link, their replies by text and the
warning signs read in them. Imports `waitlist` and below.
"""
