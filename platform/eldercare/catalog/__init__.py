"""The service catalogue: categories and bookable items with guide prices."""
