"""The ``tagloop worker`` process: runs the service's jobs (training, retraining) from the
queue, in the background. What a job does lives in ``tagloop.service``."""
