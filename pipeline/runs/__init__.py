"""Running the pipeline: what a run works with (`context.py`), one cycle in this process
(`cycle.py`, behind `newsmon run`), the same work as small batches for orchestrators
(`batches.py`), and the adapter the Airflow DAGs call (`tasks.py`).
"""
