"""The roster (M18, 41号 item 18): invited mediators kept current, and the best fit for a case."""
