"""Union organisations (单独建会, 联合建会, 行业建会, 区域建会): created and kept by the union department (M17)."""
