"""Transfers (转账汇款): the order table, amount parsing, limits, the PIN guard and posting through the port.

The H5 pages (h5/transfer) only collect input and show outcomes; every rule lives here.
"""
