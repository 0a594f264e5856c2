"""Collective contracts in force (集体合同, from unions' events): wages' own copy, whose standards bind pay and
quotas (劳动合同法 art. 55; the measures items 6, 7 and 17)."""
