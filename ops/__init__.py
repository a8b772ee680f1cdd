"""Operations: the load harness and other tools that drive the whole product.

``ops`` may import every area; no area imports it.
"""
