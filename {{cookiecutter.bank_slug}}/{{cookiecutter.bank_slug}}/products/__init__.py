"""Wealth products (理财产品): the catalogue staff maintain, the chat's 理财 news reply and the public H5 pages.

models.py holds the table and the on-sale query, forms.py every validation rule (shared with the admin panel),
money.py the exact yuan/percent conversions, news.py the WeChat news (图文) articles.
"""
