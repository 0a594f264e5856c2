"""Collective contracts in force (集体合同, from unions' events): contracts' own copy, whose piece rates bind
the contracts and agreements of the platforms, occupations and districts they cover (劳动合同法 art. 55;
the measures items 6 and 17)."""
