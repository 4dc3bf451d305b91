"""The civil-affairs hardship roster (低保, 特困, 低收入): importing it onto the elder registry."""
