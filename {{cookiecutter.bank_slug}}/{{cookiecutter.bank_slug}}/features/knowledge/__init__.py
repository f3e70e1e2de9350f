"""The knowledge base (知识库): questions and answers staff maintain, matched against a customer's free text by
similarity of its words (jieba), not by substrings: the answer when one entry clearly fits, up to three
"您是不是想问" choices when several might, and the question kept for staff when none does (the fallback then
offers 人工). Consulted after the built-in keywords and the keyword replies."""

from ...feature import Feature

feature = Feature(
    name="knowledge",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    admin=(".admin",),
    seed_demo=(".demo:seed",),
)
