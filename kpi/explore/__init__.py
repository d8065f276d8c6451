"""The explorer (notebooks/05_explore, make explore): its data, views, charts, page address, what-if and
export, and the Voilà server that serves it.

Enters: processed tables and the store. Leaves: an interactive page and the files a reader exports.
"""
