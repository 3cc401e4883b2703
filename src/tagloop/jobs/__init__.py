"""Background work: retraining jobs, their persisted state, the queue and the worker.

``state`` keeps each job's row in the ``jobs`` table (the source of truth), ``queue`` hands
job ids to the worker through Huey, ``tasks`` does a retraining run, ``policy`` decides on
automatic promotion and ``worker`` is the ``tagloop worker`` process.
"""
