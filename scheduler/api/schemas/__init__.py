"""Request and response bodies of the JSON API, apart from the tables: XCreate / XUpdate in,
XPublic out. Every bound here (ids, lengths, years) keeps bad input a 422, never a 500."""
