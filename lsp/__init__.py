"""nichelm.lsp"""
