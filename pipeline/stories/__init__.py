"""Stories: copies of one story across outlets (the same wire story, lightly edited)
clustered by MinHash (`clustering.py`), and the stage that files each newly extracted
article under its story (`stage.py`).
"""

# How stories are made, as the log records it (StoryClustered's `method`): the signature's
# size and the similarity a copy needs. Here, not in clustering.py, so that the stage can
# ask the store what is left to cluster without importing numpy (a quarter of a second
# on the way to a run's first article).
NUM_PERM = 128
SAME_STORY = 0.25
METHOD = f"minhash{NUM_PERM}-lsh/word-bigrams/jaccard>={SAME_STORY}"
