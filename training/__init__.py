"""nichelm.training"""
