"""Work orders: booking, matching, dispatch, the visit, confirmation."""
