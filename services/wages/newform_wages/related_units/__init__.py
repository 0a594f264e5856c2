"""Related units (关联单位): agencies, outsourcers and franchisees that pay their own staff (M6, M19)."""
