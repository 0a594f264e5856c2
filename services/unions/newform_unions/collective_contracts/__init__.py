"""Collective contracts (M17; 劳动合同法 arts. 51–56; 集体合同规定 arts. 42, 44, 47): negotiated, signed,
submitted to hrss within 10 days, in force unless hrss objects within 15 days of receipt."""
