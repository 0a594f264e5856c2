"""Pay statements: intake and judging (M6), arrears clocks, early warnings and workers' pay reports."""
