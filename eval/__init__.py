"""nichelm.eval"""
