"""The core: every rule of tagloop, once. The API, the CLI and the worker call these
functions with a ``Core`` (settings, database, served models) and a project, and render
what they return; nothing here knows about HTTP or the terminal.

Layers, arrows pointing down only::

    api/  commands/  jobs/        parse, call the core, render
               service/           projects, classify, feedback, models, retraining, jobs
           ml/        store/      data sets, backends, registry | tables, migrations
                config            settings from TAGLOOP_* variables
"""
