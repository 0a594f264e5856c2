"""The overview: city-wide counts and trends (API and the dashboard's home page), and worker timelines."""
