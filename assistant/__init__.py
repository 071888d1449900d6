"""nichelm.assistant"""
