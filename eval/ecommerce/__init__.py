"""nichelm.eval.ecommerce: the held-out e-commerce database and its 500 evaluation questions."""
