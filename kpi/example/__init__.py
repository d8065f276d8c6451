"""The shipped example dataset (示例数据), made by a seeded, documented generator, and example returns for
any county's registry. Nothing here is official.

Enters: a registry and a seed. Leaves: example inputs, every value marked as example.
"""
