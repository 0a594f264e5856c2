"""Rest stations for outdoor workers (户外劳动者驿站, M14): the keepers' registry, workers' reports on a
station and the keeper's handling of them."""
