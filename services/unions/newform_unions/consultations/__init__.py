"""Consultation on platform rules and algorithms (M10; 劳动合同法 art. 4): request, reply clock, opinions, outcome."""
