"""Stories: copies of one story across outlets (the same wire story, lightly edited)
clustered by MinHash (`clustering.py`), and the stage that files each newly extracted
article under its story (`stage.py`).
"""
