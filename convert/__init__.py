"""nichelm.convert"""
