"""The kernel: settings, runtime, database, Redis, time and the clock, phones, logs.

Everything in the product stands on it; it imports nothing of the product.
"""
