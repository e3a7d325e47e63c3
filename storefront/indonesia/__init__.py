"""Indonesian rules and reference data: NIK, NIB, NPWP, P-IRT, BPOM, halal, banks, regions."""
