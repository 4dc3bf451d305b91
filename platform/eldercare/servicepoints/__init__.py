"""Service points: community canteens, bathing points and day-care centres, with check-in at the counter."""
