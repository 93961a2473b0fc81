"""Server-rendered pages for the front desk, practitioners and admins."""
